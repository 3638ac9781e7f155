"""HTTP(S) fetches for scans, through httpx, connecting only to checked addresses.

httpx would resolve host names with the operating system and connect wherever they point.
Instead, a network backend resolves each host with the scan's own DNS client, refuses
addresses the guard refuses, applies the lab's port map, and connects to exactly the
address it checked (no second lookup, so DNS rebinding cannot redirect it). TLS still
verifies the certificate against the host name.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import anyio  # noqa: F401 - httpcore's backend imports it on first connect; load it now
import httpcore
import httpx

from ..config import ScanConfig
from .connect import client_tls_context
from .dns import DnsClient
from .guard import TargetRefused, refusal_reason

MAX_BODY_BYTES = 256 * 1024


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, config: ScanConfig, dns: DnsClient):
        self.config = config
        self.dns = dns
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None,
                          socket_options=None):
        address = await self._checked_address(host)
        return await self._inner.connect_tcp(address, self.config.port(port), timeout=timeout,
                                             local_address=local_address,
                                             socket_options=socket_options)

    async def _checked_address(self, host: str) -> str:
        if refusal_reason(host, lab=self.config.lab) is None:
            return host  # already an allowed IP address
        answers = await asyncio.gather(self.dns.lookup(host, "A"),
                                       self.dns.lookup(host, "AAAA"))
        found = [a for answer in answers for a in answer.records]
        if not found:
            errors = [a.error for a in answers if a.error]
            raise httpx.ConnectError(f"{host} has no address" +
                                     (f" ({errors[0]})" if errors else ""))
        for address in sorted(found, key=lambda a: ":" in a):
            if refusal_reason(address, lab=self.config.lab) is None:
                return address
        raise TargetRefused(refusal_reason(found[0], lab=self.config.lab))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def scan_http_client(config: ScanConfig, dns: DnsClient) -> httpx.AsyncClient:
    """An httpx client whose connections obey the scan's guard, resolver and port map."""
    context = client_tls_context(config.ca_file)
    transport = httpx.AsyncHTTPTransport(verify=context, trust_env=False)
    # httpx does not expose the network backend; the pool it builds is replaced whole.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context, network_backend=_GuardedBackend(config, dns), max_connections=100)
    return httpx.AsyncClient(transport=transport, trust_env=False, follow_redirects=False,
                             timeout=config.timeout,
                             headers={"User-Agent": "CyberBasics/0.1 (security review)"})


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int | None = None
    content_type: str | None = None
    body: str | None = None
    error: str | None = None  # could not fetch, and why
    truncated: bool = False

    def to_json(self) -> dict:
        data = {"url": self.url, "status": self.status}
        if self.content_type:
            data["content_type"] = self.content_type
        if self.error:
            data["error"] = self.error
        return data


async def fetch_text(client: httpx.AsyncClient, url: str,
                     limit: int = MAX_BODY_BYTES) -> Fetched:
    """GET a small text document; errors become evidence, never exceptions."""
    try:
        async with client.stream("GET", url) as response:
            body = bytearray()
            truncated = False
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > limit:
                    truncated = True
                    break
            return Fetched(url, response.status_code, response.headers.get("content-type"),
                           bytes(body[:limit]).decode("utf-8", "replace"), None, truncated)
    except TargetRefused as exc:
        return Fetched(url, error=str(exc))
    except httpx.TimeoutException:
        return Fetched(url, error="timed out")
    except httpx.HTTPError as exc:
        return Fetched(url, error=_describe(exc))
    except OSError as exc:
        return Fetched(url, error=_describe(exc))


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    cause = exc.__cause__ or exc.__context__
    if "CERTIFICATE_VERIFY_FAILED" in text or (cause and "CERTIFICATE_VERIFY" in str(cause)):
        detail = str(cause or exc)
        return f"certificate not valid: {detail}"
    return text
