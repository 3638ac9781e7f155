"""Proof that a business controls a domain: a DNS TXT record or a file on its website, both
holding the domain's token, checked with the scanner's own network code (its resolvers,
the address guard, the lab's CA and ports) and nothing else.

- DNS: a TXT record at `_cyberbasics.<domain>` whose text is `cyberbasics-verification=<token>`.
- File: `https://<domain>/.well-known/cyberbasics-verification.txt` (or, when HTTPS does not
  answer with it, `http://`) with that same line. Redirects are followed a few steps, as
  the owner of the domain is the one who sets them.

The checks return what they found as codes with details, never exceptions; `services`
turns them into sentences in the reader's language.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from ...config import ScanConfig
from ...net.dns import NOERROR, NXDOMAIN, DnsClient
from ...net.http import fetch_text, scan_http_client

FILE_PATH = "/.well-known/cyberbasics-verification.txt"
MAX_REDIRECTS = 3
MAX_FILE_BYTES = 4096


@dataclass(frozen=True)
class Problem:
    """Why one method did not prove ownership: a code and what to show with it."""

    code: str
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    method: str | None  # "dns" or "file" when ownership is proven
    problems: tuple[Problem, ...] = ()  # otherwise, why not (one per method tried)

    @property
    def verified(self) -> bool:
        return self.method is not None


def expected_line(token: str) -> str:
    return f"cyberbasics-verification={token}"


def _holds_token(text: str, token: str) -> bool:
    wanted = expected_line(token)
    return any(line.strip() in (wanted, token) for line in text.splitlines())


async def check_dns(domain: str, token: str, dns: DnsClient) -> Problem | None:
    name = f"_cyberbasics.{domain}"
    answer = await dns.lookup(name, "TXT")
    if answer.rcode == NXDOMAIN or (answer.rcode == NOERROR and not answer.records):
        return Problem("dns_missing", {"name": name})
    if answer.rcode != NOERROR:
        return Problem("dns_error", {"name": name, "error": answer.error or answer.rcode})
    if any(record.strip() == expected_line(token) for record in answer.records):
        return None
    found = answer.records[0]
    return Problem("dns_wrong", {"name": name,
                                 "found": found if len(found) <= 80 else found[:77] + "..."})


async def check_file(domain: str, token: str, config: ScanConfig,
                     dns: DnsClient) -> Problem | None:
    """HTTPS first, then HTTP; the first problem met is the one reported when neither works
    (HTTPS's, unless it did not answer at all and HTTP did)."""
    client = scan_http_client(config, dns)
    problems = []
    first = f"https://{domain}{FILE_PATH}"
    try:
        async with asyncio.timeout(config.timeout * 4):  # the whole check, redirects and all
            for scheme in ("https", "http"):
                problem = await _check_url(client, f"{scheme}://{domain}{FILE_PATH}", token,
                                           config)
                if problem is None:
                    return None
                problems.append(problem)
    except TimeoutError:
        problems.append(Problem("file_unreachable", {
            "url": first, "error": f"no answer within {config.timeout * 4:g} s"}))
    finally:
        await client.aclose()
    answered = [p for p in problems if p.code != "file_unreachable"]
    return answered[0] if answered else problems[0]


async def _check_url(client, url: str, token: str, config: ScanConfig) -> Problem | None:
    deadline = config.timeout * 2
    for _ in range(MAX_REDIRECTS + 1):
        fetched = await fetch_text(client, url, limit=MAX_FILE_BYTES, deadline=deadline)
        if not fetched.answered:
            return Problem("file_unreachable", {"url": url, "error": fetched.error or ""})
        location = fetched.header("location")
        if fetched.status in (301, 302, 303, 307, 308) and location:
            following = urljoin(url, location)
            if urlsplit(following).scheme not in ("http", "https"):
                return Problem("file_status", {"url": url, "status": str(fetched.status)})
            url = following
            continue
        if fetched.status == 404:
            return Problem("file_missing", {"url": url})
        if fetched.status != 200:
            return Problem("file_status", {"url": url, "status": str(fetched.status)})
        if _holds_token(fetched.body or "", token):
            return None
        return Problem("file_wrong", {"url": url})
    return Problem("file_redirects", {"url": url})


async def check_ownership(domain: str, token: str, config: ScanConfig) -> Outcome:
    """Both methods at once; ownership is proven when either holds the token."""
    dns = DnsClient(config.nameservers, timeout=config.timeout)
    try:
        by_dns, by_file = await asyncio.gather(check_dns(domain, token, dns),
                                               check_file(domain, token, config, dns))
    finally:
        await dns.aclose()
    if by_dns is None:
        return Outcome("dns")
    if by_file is None:
        return Outcome("file")
    return Outcome(None, (by_dns, by_file))
