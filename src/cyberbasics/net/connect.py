"""The one way a scan opens a connection: to an address it has checked, on the port the
configuration maps to, within the operation timeout. Never a second DNS lookup."""

from __future__ import annotations

import asyncio
import logging
import ssl
import warnings
from functools import lru_cache
from pathlib import Path

from ..config import ScanConfig
from .guard import TargetRefused, refusal_reason


class _QuietStartTls(logging.Filter):
    """asyncio warns whenever a peer closes a stream upgraded by start_tls (its stream
    protocol returns True from eof_received): harmless, and noise in every SMTP probe."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "eof_received() has no effect when using ssl" not in record.getMessage()


logging.getLogger("asyncio").addFilter(_QuietStartTls())


async def open_checked(
    config: ScanConfig, address: str, port: int, *, limiter=None,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to ``address`` (an IP the caller got from DNS) on a standard ``port``; in an
    active scan, after waiting for the address's turn with the batch's ``limiter``."""
    reason = refusal_reason(address, lab=config.lab)
    if reason:
        raise TargetRefused(reason)
    if limiter is not None:
        await limiter.acquire(address)
    # asyncio.timeout, not wait_for: wait_for would start the connect in a new task, a loop
    # turn (or a busy loop's many milliseconds) after the limiter's grant; here the SYN leaves
    # in the same step as the grant, so the spacing the limiter keeps is the spacing on the
    # wire.
    async with asyncio.timeout(config.timeout):
        return await asyncio.open_connection(address, config.port(port))


def https_tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """A strict client context for fetches (TLS 1.2 or newer), verifying as browsers and
    mail senders do; one object per CA file, used only by the scan's HTTP client."""
    return _https_context(str(ca_file) if ca_file else None)


@lru_cache(maxsize=8)
def _https_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def client_tls_context(ca_file: Path | None, *, verify: bool = True) -> ssl.SSLContext:
    """A client context trusting the system roots plus the configured CA file.

    It accepts protocol versions down to TLS 1.0 and weak parameters, because a scan must
    see (and report) what a server offers, not fail to connect to an outdated one.
    """
    return _context(str(ca_file) if ca_file else None, verify)


@lru_cache(maxsize=8)
def _context(ca_file: str | None, verify: bool) -> ssl.SSLContext:
    if verify:
        context = ssl.create_default_context()
        if ca_file:
            context.load_verify_locations(cafile=ca_file)
    else:  # never verifies: loading the system's trust store would be wasted time
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # deliberately old: we must see outdated servers
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context
