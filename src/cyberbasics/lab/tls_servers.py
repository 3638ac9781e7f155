"""Lab HTTPS servers with deliberately weak TLS, for the certificate and TLS checks.

Three kinds, because no one TLS library serves every weakness:

* `OpenSslServer`: this machine's OpenSSL 3 (asyncio), at security level 0 where needed:
  TLS 1.0/1.1, suites without forward secrecy, anonymous and NULL suites, 1024-bit keys.
* `TlsliteServer`: tlslite-ng, pure Python, in a thread: SSL 3, RC4 and 3DES, which
  OpenSSL 3 no longer serves.
* `CannedHelloServer`: answers a ClientHello that offers a given suite with a fixed
  ServerHello choosing it, then hangs up: how export suites (served by no maintained
  library) are detected, from the bytes a real export server sends first.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
import warnings

from .ca import IssuedCert
from .faults import LoopbackServer, require_loopback

PAGE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n" \
       b"Connection: close\r\n\r\nok\n"
_HEAD_LIMIT = 16 * 1024


def openssl_context(cert: IssuedCert, *, ciphers: str | None = None,
                    minimum: ssl.TLSVersion | None = None,
                    maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A server context presenting `cert`, with an OpenSSL cipher string and versions."""
    context = cert.ssl_context()
    with warnings.catch_warnings():  # deliberately old protocols, in the lab only
        warnings.simplefilter("ignore", DeprecationWarning)
        if ciphers is not None or (minimum is not None and minimum < ssl.TLSVersion.TLSv1_2):
            context.set_ciphers(ciphers or "DEFAULT:@SECLEVEL=0")
        if minimum is not None:
            context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
    return context


class OpenSslServer(LoopbackServer):
    """Answers every request on a TLS connection with a tiny page."""

    def __init__(self, context: ssl.SSLContext, **kwargs) -> None:
        super().__init__(**kwargs)
        self.context = context

    def server_ssl_context(self) -> ssl.SSLContext | None:
        return self.context

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.write(PAGE)
        await writer.drain()


class TlsliteServer:
    """A tlslite-ng HTTPS server in a thread (use as a context manager).

    `versions` is (lowest, highest) as tlslite counts them: (3, 0) is SSL 3, (3, 3) TLS 1.2.
    `ciphers` are tlslite's names ("rc4", "3des", "aes128", ...), `key_exchanges` its key
    exchange names ("rsa", "ecdhe_rsa", ...). The certificate must have an RSA key.
    """

    def __init__(self, cert: IssuedCert, *, versions=((3, 0), (3, 3)),
                 ciphers=("aes128",), key_exchanges=("rsa", "ecdhe_rsa"),
                 host: str = "127.0.0.1") -> None:
        self.cert = cert
        self.versions = versions
        self.ciphers = list(ciphers)
        self.key_exchanges = list(key_exchanges)
        self.host = require_loopback(host)
        self.port = 0
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def __enter__(self) -> TlsliteServer:
        self._socket = socket.create_server((self.host, 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name="lab-tlslite")
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._socket is not None:
            self._socket.close()

    def _settings(self):
        from tlslite import HandshakeSettings

        settings = HandshakeSettings()
        settings.minVersion, settings.maxVersion = self.versions
        settings.cipherNames = self.ciphers
        settings.keyExchangeNames = self.key_exchanges
        settings.macNames = ["sha", "sha256", "sha384", "aead", "md5"]
        return settings

    def _accept_loop(self) -> None:
        from tlslite import X509, X509CertChain, parsePEMKey

        chain = X509CertChain([X509().parse(self.cert.cert_pem.decode())])
        key = parsePEMKey(self.cert.key_pem.decode(), private=True)
        settings = self._settings()
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(connection, chain, key, settings),
                             daemon=True).start()

    @staticmethod
    def _serve(connection: socket.socket, chain, key, settings) -> None:
        from tlslite import TLSConnection

        connection.settimeout(5)
        tls = TLSConnection(connection)
        try:
            tls.handshakeServer(certChain=chain, privateKey=key, settings=settings)
            tls.read(max=_HEAD_LIMIT)
            tls.write(PAGE)
        except Exception:  # a refused or aborted handshake is this server's normal day
            pass
        finally:
            connection.close()


class CannedHelloServer(LoopbackServer):
    """Chooses `suite` at `version` when a ClientHello offers it; a handshake_failure alert
    otherwise. Goes no further than the ServerHello, as a probe does."""

    def __init__(self, suite: int, version: int = 0x0301, **kwargs) -> None:
        super().__init__(**kwargs)
        self.suite = suite
        self.version = version

    def suite_is_offered(self, offered: set[int]) -> bool:
        return self.suite in offered  # tests replace this to imitate a broken server

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        header = await asyncio.wait_for(reader.readexactly(5), 5)
        length = struct.unpack("!H", header[3:5])[0]
        body = await asyncio.wait_for(reader.readexactly(length), 5)
        if self.suite_is_offered(offered_suites(body)):
            writer.write(server_hello(self.version, self.suite))
        else:
            writer.write(b"\x15\x03\x01\x00\x02\x02\x28")  # fatal handshake_failure
        await writer.drain()


def offered_suites(handshake: bytes) -> set[int]:
    """The suites a ClientHello handshake message offers (empty if it is not one)."""
    try:
        if handshake[0] != 0x01:
            return set()
        offset = 4 + 2 + 32
        offset += 1 + handshake[offset]
        count = struct.unpack_from("!H", handshake, offset)[0] // 2
        return set(struct.unpack_from(f"!{count}H", handshake, offset + 2))
    except (IndexError, struct.error):
        return set()


def server_hello(version: int, suite: int) -> bytes:
    """A ServerHello record choosing `suite` at `version`, with no extensions."""
    body = struct.pack("!H", version) + bytes(32) + b"\x00" + struct.pack("!HB", suite, 0)
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 0x16, version, len(message)) + message
