"""Which addresses an active scan probes: those of the domain and of www.<domain> (A and
AAAA), and of the mail servers (MX) whose names are inside the domain; a mail provider's
servers are not the business's to scan and are listed as skipped. Deduplicated, at most
`MAX_ADDRESSES`."""

from __future__ import annotations

import asyncio

from ...net.ratelimit import canonical_address
from ..gather import DomainContext
from .services_model import Skipped

MAX_ADDRESSES = 6


def in_domain(name: str, domain: str) -> bool:
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    return name == domain or name.endswith("." + domain)


async def service_targets(ctx: DomainContext
                          ) -> tuple[list[tuple[str, tuple[str, ...]]], list[Skipped], list[str]]:
    """(address, names) to probe, the names or addresses skipped and why, and lookup problems."""
    domain = ctx.domain
    web_names = [domain, f"www.{domain}"]
    skipped: list[Skipped] = []
    problems: list[str] = []
    mx_task = ctx.get("mx")  # asked alongside the addresses, not after them
    lookups = await asyncio.gather(*(ctx.dns.addresses(n) for n in web_names))
    entries = [(name, found, error) for name, (found, error) in zip(web_names, lookups,
                                                                    strict=True)]
    try:
        mx = await mx_task
    except Exception as exc:  # the mx collector failed: say so, scan the rest
        problems.append(f"the mail servers could not be looked up ({exc})")
        mx = None
    if mx is not None and not mx.answer.ok:
        problems.append(f"MX lookup: {mx.answer.error or mx.answer.rcode}")
    if mx is not None and mx.receives_mail:
        for host in mx.hosts:
            if not host.name:
                continue
            if in_domain(host.name, domain):
                entries.append((host.name, host.addresses, host.error))
            else:
                skipped.append(Skipped(host.name, "a mail provider's server (outside the "
                                                  "domain): not the business's to scan"))
    found: dict[str, list[str]] = {}
    for name, addresses, error in entries:
        if error and not addresses:
            problems.append(f"{name}: {error}")
        for address in addresses:
            names = found.setdefault(canonical_address(address), [])
            if name not in names:
                names.append(name)
    targets = list(found.items())
    for address, names in targets[MAX_ADDRESSES:]:
        skipped.append(Skipped(address, f"more than {MAX_ADDRESSES} addresses; "
                                        f"not scanned ({', '.join(names)})"))
    return [(a, tuple(n)) for a, n in targets[:MAX_ADDRESSES]], skipped, problems
