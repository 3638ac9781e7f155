"""HTTP(S) fetches for scans, through httpx, connecting only to checked addresses.

httpx would resolve host names with the operating system and connect wherever they point.
Instead, a network backend resolves each host with the scan's own DNS client, refuses
addresses the guard refuses, applies the lab's port map, and connects to exactly the
address it checked (no second lookup, so DNS rebinding cannot redirect it). TLS still
verifies the certificate against the host name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import anyio  # noqa: F401 - httpcore's backend imports it on first connect; load it now
import httpcore
import httpx

from ..config import ScanConfig
from .connect import https_tls_context
from .dns import DnsClient
from .guard import TargetRefused, refusal_reason

MAX_BODY_BYTES = 256 * 1024


class NoAddress(httpx.ConnectError):
    """The host name exists nowhere in DNS, or has no address: a definite answer."""

    def __init__(self, message: str):
        super().__init__(message)


class NameLookupFailed(httpx.ConnectError):
    """The host's address could not be looked up (timeout, SERVFAIL): could not check."""

    def __init__(self, message: str):
        super().__init__(message)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, config: ScanConfig, dns: DnsClient, limiter=None):
        self.config = config
        self.dns = dns
        self.limiter = limiter
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None,
                          socket_options=None):
        address = await self._checked_address(host)
        if self.limiter is not None:
            await self.limiter.acquire(address)
        return await self._inner.connect_tcp(address, self.config.port(port), timeout=timeout,
                                             local_address=local_address,
                                             socket_options=socket_options)

    async def _checked_address(self, host: str) -> str:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:  # an address in the URL: checked, never looked up as a name
            reason = refusal_reason(host, lab=self.config.lab)
            if reason:
                raise TargetRefused(reason)
            return host
        found, error = await self.dns.addresses(host)
        if not found:
            if error:
                raise NameLookupFailed(f"the address of {host} could not be looked up ({error})")
            raise NoAddress(f"{host} has no address in DNS")
        for address in sorted(found, key=lambda a: ":" in a):
            if refusal_reason(address, lab=self.config.lab) is None:
                return address
        raise TargetRefused(refusal_reason(found[0], lab=self.config.lab))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


# The checks read Set-Cookie from the answers themselves; a jar that keeps none spares
# copying every site's cookies into every request (and never sends one site's to another).
_NO_COOKIES = CookieJar(DefaultCookiePolicy(allowed_domains=[]))


def scan_http_client(config: ScanConfig, dns: DnsClient, limiter=None) -> httpx.AsyncClient:
    """An httpx client whose connections obey the scan's guard, resolver and port map (and,
    in an active scan, the per-address rate limit)."""
    # Its own strict context: httpcore sets ALPN on the context it is given, and fetches
    # should verify as real senders do (the SMTP probes' context accepts old TLS on purpose).
    context = https_tls_context(config.ca_file)
    transport = httpx.AsyncHTTPTransport(verify=context, trust_env=False)
    # httpx does not expose the network backend; the pool it builds is replaced whole
    # (httpx 0.28 keeps it in `_pool`; tests/net cover fetching through this client).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context, network_backend=_GuardedBackend(config, dns, limiter),
        max_connections=100)
    return httpx.AsyncClient(transport=transport, trust_env=False, follow_redirects=False,
                             timeout=config.timeout, cookies=_NO_COOKIES,
                             # identity: a compressed answer must not inflate past our limits
                             headers={"User-Agent": "CyberBasics/0.1 (security review)",
                                      "Accept-Encoding": "identity"})


# What went wrong with a fetch, and whether that is the site's own doing ("definite") or
# might succeed on another try (could not check).
FETCH_OK = "ok"
# Could-not-check kinds: "refused_target" (our guard), "dns_error", "timeout", "connect",
# "http_error".
DEFINITE_FAILURES = ("no_address", "refused", "tls", "too_large", "bad_redirect")


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int | None = None
    content_type: str | None = None
    body: str | None = None
    error: str | None = None  # could not fetch, and why
    truncated: bool = False
    kind: str = FETCH_OK  # FETCH_OK or one of the failure kinds above
    headers: tuple[tuple[str, str], ...] = ()  # (lower-case name, value), in order

    @property
    def answered(self) -> bool:
        """The server sent an HTTP response (whatever its status)."""
        return self.status is not None

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key == name]

    @property
    def definite(self) -> bool:
        """A failure that says something about the site, not about this attempt."""
        return self.kind == FETCH_OK or self.kind in DEFINITE_FAILURES

    def to_json(self) -> dict:
        data = {"url": self.url, "status": self.status, "kind": self.kind}
        if self.content_type:
            data["content_type"] = self.content_type
        if self.error:
            data["error"] = self.error
        if self.truncated:
            data["truncated"] = True
        if self.headers:
            data["headers"] = [[key, value] for key, value in self.headers]
        return data


async def fetch_text(client: httpx.AsyncClient, url: str, *, limit: int = MAX_BODY_BYTES,
                     deadline: float | None = None) -> Fetched:
    """GET a small text document within `deadline` seconds in all (a server trickling
    its answer must not hold a scan); errors become evidence, never exceptions."""
    try:
        async with asyncio.timeout(deadline):
            return await _fetch(client, url, limit)
    except TimeoutError:
        return Fetched(url, error=f"no complete answer within {deadline:g} s", kind="timeout")
    except TargetRefused as exc:
        return Fetched(url, error=str(exc), kind="refused_target")
    except NoAddress as exc:
        return Fetched(url, error=str(exc), kind="no_address")
    except NameLookupFailed as exc:
        return Fetched(url, error=str(exc), kind="dns_error")
    except httpx.TimeoutException:
        return Fetched(url, error="timed out", kind="timeout")
    except (httpx.HTTPError, httpx.InvalidURL, OSError, EOFError, ValueError) as exc:
        detail = _describe(exc)
        if detail.startswith("certificate not valid"):
            kind = "tls"
        elif "in location header" in detail:  # httpx rejects the redirect it was sent
            kind = "bad_redirect"
        elif _caused_by(exc, ConnectionRefusedError):
            kind, detail = "refused", "the server refused the connection (nothing listens there)"
        elif isinstance(exc, httpx.ConnectError | OSError):
            kind = "connect"
        else:
            kind = "http_error"
        return Fetched(url, error=detail, kind=kind)


def _caused_by(exc: BaseException, kind: type) -> bool:
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


async def _fetch(client: httpx.AsyncClient, url: str, limit: int) -> Fetched:
    async with client.stream("GET", url) as response:
        body = bytearray()
        truncated = False
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > limit:
                truncated = True
                break
        headers = tuple((key.decode("latin-1").lower(), value.decode("latin-1"))
                        for key, value in response.headers.raw)
        return Fetched(url, response.status_code, response.headers.get("content-type"),
                       bytes(body[:limit]).decode("utf-8", "replace"), None, truncated,
                       "too_large" if truncated else FETCH_OK, headers)


def _describe(exc: BaseException) -> str:
    """A short reason; for a certificate problem, OpenSSL's own words (e.g. 'Hostname
    mismatch, certificate is not valid for ...'), found down the chain of causes."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"certificate not valid: {current.verify_message or current.reason}"
        current = current.__cause__ or current.__context__
    text = str(exc) or exc.__class__.__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return f"certificate not valid: {text}"
    return text
