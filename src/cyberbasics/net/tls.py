"""A TLS handshake over an open stream that reports what it saw, even when the certificate
does not verify.

asyncio's start_tls drops the connection on a verification failure, so learning the
protocol version of a server with a bad certificate would need a second connection. Driving
the handshake ourselves through memory BIOs keeps OpenSSL's own verification and still lets
us read the negotiated protocol afterwards for TLS 1.3: one connection per probe there.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

_MAX_READ = 65536


@dataclass(frozen=True)
class Handshake:
    protocol: str | None  # "TLSv1.3", ...; None when it could not be told
    cipher: str | None
    certificate_error: str | None  # None: the certificate verified (name, chain, dates)
    certificate_der: bytes | None  # the server's leaf certificate

    @property
    def certificate_valid(self) -> bool:
        return self.certificate_error is None


async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    context: ssl.SSLContext, server_hostname: str,
                    timeout: float) -> Handshake:
    """Run a client handshake on the stream; raises ssl.SSLError (other than a verification
    failure), OSError, EOFError or TimeoutError when no handshake can be completed."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_hostname)
    error = None
    async with asyncio.timeout(timeout):
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await _flush(writer, outgoing)
                data = await reader.read(_MAX_READ)
                if not data:
                    raise EOFError("the server closed the connection during the handshake") \
                        from None
                incoming.write(data)
            except ssl.SSLCertVerificationError as exc:
                error = exc.verify_message or str(exc)
                break
        await _flush(writer, outgoing)
    cipher = tls.cipher()
    return Handshake(protocol=tls.version() or _protocol_from_cipher(cipher),
                     cipher=cipher[0] if cipher else None,
                     certificate_error=error,
                     certificate_der=_leaf(tls))


def _protocol_from_cipher(cipher: tuple | None) -> str | None:
    """The protocol of a handshake stopped by a verification failure. OpenSSL names the
    suite by then only in TLS 1.3, whose suites exist in no other version; before 1.3 the
    protocol stays unknown (None) and the caller must ask again if it needs it."""
    if cipher and cipher[1] == "TLSv1.3":
        return cipher[1]
    return None


async def _flush(writer: asyncio.StreamWriter, outgoing: ssl.MemoryBIO) -> None:
    if outgoing.pending:
        writer.write(outgoing.read())
        await writer.drain()


def _leaf(tls: ssl.SSLObject) -> bytes | None:
    try:
        return tls.getpeercert(binary_form=True)
    except (ValueError, ssl.SSLError):
        return None
