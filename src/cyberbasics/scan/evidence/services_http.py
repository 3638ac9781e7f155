"""One checked connection for an active probe, and HTTP/1.0 over it (the port probes' web
pages and the sensitive-files requests).

Connections go through the rate limiter and the guard (`open_limited`); a refused
connection is a CLOSED port, one that times out a FILTERED one, any other failure an ERROR.
Every read is bounded in bytes and time."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from ...config import ScanConfig
from ...net.connect import client_tls_context
from ...net.guard import TargetRefused
from ...net.ratelimit import RateLimiter, open_limited
from ...protocols import banners
from .services_model import CLOSED, ERROR, FILTERED

HTTP_BYTES = 64 * 1024
USER_AGENT = "CyberBasics/0.1 (security review)"


class NotOpen(Exception):
    """The connection did not open: closed (refused), filtered (timed out) or an error."""

    def __init__(self, state: str, error: str | None):
        super().__init__(error or state)
        self.state = state
        self.error = error


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


async def open_port(config: ScanConfig, limiter: RateLimiter, address: str, port: int
                    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to ``address`` on the standard ``port``, at the limited rate; raises
    NotOpen with the port's state when there is none."""
    try:
        return await open_limited(config, limiter, address, port)
    except TargetRefused as exc:
        raise NotOpen(ERROR, str(exc)) from None
    except ConnectionRefusedError:
        raise NotOpen(CLOSED, None) from None
    except TimeoutError:
        raise NotOpen(FILTERED, f"no answer to the connection within {config.timeout:g} s "
                                "(probably dropped by a firewall)") from None
    except OSError as exc:
        raise NotOpen(ERROR, describe(exc)) from None


async def read_until(reader: asyncio.StreamReader, done: Callable[[bytes], bool], *,
                     limit: int, timeout: float) -> tuple[bytes, str]:
    """Read until ``done(data)``, ``limit`` bytes, the end of the stream or ``timeout``:
    (data, "done" | "limit" | "eof" | "timeout")."""
    data = bytearray()
    try:
        async with asyncio.timeout(timeout):
            while len(data) < limit:
                try:
                    chunk = await reader.read(min(4096, limit - len(data)))
                except (ConnectionError, ssl.SSLError):
                    return bytes(data), "eof"
                if not chunk:
                    return bytes(data), "eof"
                data += chunk
                if done(bytes(data)):
                    return bytes(data), "done"
            return bytes(data), "limit"
    except TimeoutError:
        return bytes(data), "timeout"


@dataclass(frozen=True)
class HttpFetch:
    path: str
    tls: bool
    answer: banners.HttpAnswer | None
    error: str | None = None
    truncated: bool = False


async def http_get(config: ScanConfig, limiter: RateLimiter, address: str, port: int,
                   path: str, *, host: str | None, tls: bool,
                   limit: int = HTTP_BYTES) -> HttpFetch:
    """GET ``path`` from ``address`` (HTTP/1.0, one connection, Host and SNI ``host``), the
    certificate not verified (a portal's self-signed certificate must not hide it); the
    answer is read up to ``limit`` bytes. Raises NotOpen when the connection fails; takes
    at most the operation timeout (and the rate limit's wait) to connect, and three times
    it for the exchange."""
    reader, writer = await open_port(config, limiter, address, port)
    return await http_exchange(config, reader, writer, address, path, host=host, tls=tls,
                               limit=limit)


async def http_exchange(config: ScanConfig, reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter, address: str, path: str, *,
                        host: str | None, tls: bool, limit: int = HTTP_BYTES) -> HttpFetch:
    """`http_get` over a connection already open (closed when done)."""
    host_header = host or (f"[{address}]" if ":" in address else address)
    request = (f"GET {path} HTTP/1.0\r\nHost: {host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
               "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n")
    try:
        async with asyncio.timeout(3 * config.timeout):
            if tls:
                await writer.start_tls(client_tls_context(config.ca_file, verify=False),
                                       server_hostname=host,
                                       ssl_handshake_timeout=config.timeout)
            writer.write(request.encode("ascii", "replace"))
            data, how = await read_until(reader, _http_done, limit=limit,
                                         timeout=2 * config.timeout)
    except TimeoutError:
        return HttpFetch(path, tls, None, f"no answer within {3 * config.timeout:g} s")
    except (OSError, ssl.SSLError, EOFError, ValueError) as exc:
        return HttpFetch(path, tls, None, ("TLS failed: " if tls else "") + describe(exc))
    finally:
        writer.close()
    answer = banners.parse_http_response(data, eof=how == "eof")
    if answer is None:
        what = "no answer" if not data else "not an HTTP answer"
        return HttpFetch(path, tls, None, f"{what} ({how})")
    return HttpFetch(path, tls, answer, None, truncated=how == "limit")


def _http_done(data: bytes) -> bool:
    answer = banners.parse_http_response(data, eof=False)
    return answer is not None and answer.complete
