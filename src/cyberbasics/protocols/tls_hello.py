"""A TLS ClientHello we build ourselves, and the first answer a server gives to it.

OpenSSL 3 cannot offer SSL 3, RC4, export or (at most security levels) 3DES suites, so it
cannot ask a server whether it still accepts them. A ClientHello is a few hundred bytes of
well-defined structure (RFC 5246 §7.4.1.2, RFC 6101 §5.6.1.2 for SSL 3): we send one that
offers only the version or suites in question and read the ServerHello, the way testssl.sh
does. The handshake goes no further, so no key exchange is ever done with a weak suite.

Pure functions only: `client_hello()` builds the bytes, `read_server_hello()` reads whatever
came back. Both are fuzzed.
"""

from __future__ import annotations

import ipaddress
import os
import struct
from dataclasses import dataclass

SSL3, TLS10, TLS11, TLS12, TLS13 = 0x0300, 0x0301, 0x0302, 0x0303, 0x0304
VERSION_NAMES = {SSL3: "SSLv3", TLS10: "TLSv1", TLS11: "TLSv1.1", TLS12: "TLSv1.2",
                 TLS13: "TLSv1.3"}

_HANDSHAKE, _ALERT = 0x16, 0x15
_SERVER_HELLO = 0x02
_EXT_SERVER_NAME, _EXT_GROUPS, _EXT_POINT_FORMATS = 0x0000, 0x000A, 0x000B
_EXT_SIGNATURE_ALGORITHMS, _EXT_SUPPORTED_VERSIONS, _EXT_RENEGOTIATION = 0x000D, 0x002B, 0xFF01
MAX_HELLO_BYTES = 16 * 1024  # a ServerHello is far smaller; more is not a ServerHello
_WARNING = 1  # alert level; 2 is fatal
_MAX_WARNINGS = 4
_EXT_PADDING = 0x0015

# x25519, secp256r1, secp384r1, secp521r1, ffdhe2048
_GROUPS = (0x001D, 0x0017, 0x0018, 0x0019, 0x0100)
# SHA-2 and SHA-1 RSA/ECDSA/DSA and RSA-PSS: old servers must find something they sign with.
_SIGNATURE_ALGORITHMS = (0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501,
                         0x0601, 0x0201, 0x0203, 0x0202)


@dataclass(frozen=True)
class ServerAnswer:
    """What a server said to our ClientHello."""

    kind: str  # "hello", "alert", "closed", "other"
    version: int | None = None  # the version chosen (supported_versions honoured)
    cipher: int | None = None  # the suite chosen
    alert: int | None = None  # the alert description, for "alert"
    detail: str | None = None  # why an answer is "other"

    @property
    def accepted(self) -> bool:
        return self.kind == "hello"


def client_hello(version: int, ciphers: tuple[int, ...], server_name: str | None) -> bytes:
    """A complete ClientHello record offering `ciphers` at `version` (SSL 3 to TLS 1.2).

    SSL 3 hellos carry no extensions (RFC 6101 has none); TLS ones carry SNI (not for an IP
    address, RFC 6066 §3), the groups and point formats ECDHE needs, signature algorithms
    (TLS 1.2) and an empty renegotiation_info, as every real client does.
    """
    if version not in (SSL3, TLS10, TLS11, TLS12):
        raise ValueError(f"cannot build a ClientHello for version {version:#06x}")
    if not ciphers or len(ciphers) > 1000:
        raise ValueError("offer between 1 and 1000 cipher suites")
    body = struct.pack("!H", version) + os.urandom(32) + b"\x00"  # no session to resume
    body += _vector(2, b"".join(struct.pack("!H", c) for c in ciphers))
    body += b"\x01\x00"  # compression: null only
    if version != SSL3:
        extensions = _extensions(version, server_name)
        # Some F5 load balancers hang on hellos of 256 to 511 bytes: pad such a hello to 512
        # (RFC 7685), as OpenSSL and browsers do. SSL 3 hellos cannot be padded; callers
        # keep them short.
        length = 4 + len(body) + 2 + len(extensions)
        if 0x100 <= length < 0x200:
            pad = max(0x200 - length - 4, 1)
            extensions += _extension(_EXT_PADDING, bytes(pad))
        body += _vector(2, extensions)
    handshake = bytes([0x01]) + len(body).to_bytes(3, "big") + body
    record_version = SSL3 if version == SSL3 else TLS10  # what servers expect on the record
    return struct.pack("!BHH", _HANDSHAKE, record_version, len(handshake)) + handshake


def _extensions(version: int, server_name: str | None) -> bytes:
    parts = []
    if server_name and not _is_ip(server_name):
        name = server_name.rstrip(".").encode("ascii")
        entry = b"\x00" + _vector(2, name)
        parts.append(_extension(_EXT_SERVER_NAME, _vector(2, entry)))
    parts.append(_extension(_EXT_GROUPS, _vector(2, b"".join(struct.pack("!H", g)
                                                               for g in _GROUPS))))
    parts.append(_extension(_EXT_POINT_FORMATS, b"\x01\x00"))
    if version == TLS12:
        algorithms = b"".join(struct.pack("!H", a) for a in _SIGNATURE_ALGORITHMS)
        parts.append(_extension(_EXT_SIGNATURE_ALGORITHMS, _vector(2, algorithms)))
    parts.append(_extension(_EXT_RENEGOTIATION, b"\x00"))
    return b"".join(parts)


def _extension(kind: int, data: bytes) -> bytes:
    return struct.pack("!HH", kind, len(data)) + data


def _vector(length_bytes: int, data: bytes) -> bytes:
    return len(data).to_bytes(length_bytes, "big") + data


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def read_server_hello(data: bytes, *, complete: bool) -> ServerAnswer | None:
    """Read the server's first answer from the bytes received so far.

    Returns None while more bytes are needed (and `complete` is False, i.e. the connection
    is still open); otherwise an answer. A close without a byte is "closed": servers that
    refuse an old version often just hang up.
    """
    if not data:
        return ServerAnswer("closed") if complete else None
    handshake = bytearray()
    offset = warnings = 0
    while True:
        if len(data) - offset < 5:
            return _incomplete(complete, "the answer ended inside a record header")
        kind, _record_version, length = struct.unpack_from("!BHH", data, offset)
        if kind == _ALERT:
            if len(data) - offset < 7:
                return _incomplete(complete, "the alert ended early")
            if data[offset + 5] == _WARNING and warnings < _MAX_WARNINGS:
                # e.g. Apache's unrecognized_name for an SNI name it does not serve: the
                # handshake goes on, so only a fatal alert means "refused".
                warnings += 1
                offset += 5 + length
                continue
            return ServerAnswer("alert", alert=data[offset + 6])
        if kind != _HANDSHAKE:
            return ServerAnswer("other", detail=f"a record of type {kind} instead of a "
                                                "handshake (not TLS, or SSL 2)")
        if length == 0 or length > 18432:
            return ServerAnswer("other", detail=f"a handshake record of {length} bytes")
        end = offset + 5 + length
        if len(data) < end:
            return _incomplete(complete, "the answer ended inside a record")
        handshake += data[offset + 5:end]
        offset = end
        answer = _parse_server_hello(bytes(handshake))
        if answer is not None:
            return answer
        if len(handshake) > MAX_HELLO_BYTES:
            return ServerAnswer("other", detail="a ServerHello larger than any real one")


def _incomplete(complete: bool, detail: str) -> ServerAnswer | None:
    return ServerAnswer("other", detail=detail) if complete else None


def _parse_server_hello(handshake: bytes) -> ServerAnswer | None:
    """The ServerHello at the start of the handshake bytes; None if more bytes are needed."""
    if len(handshake) < 4:
        return None
    if handshake[0] != _SERVER_HELLO:
        return ServerAnswer("other", detail=f"handshake message {handshake[0]} before any "
                                            "ServerHello")
    length = int.from_bytes(handshake[1:4], "big")
    if len(handshake) < 4 + length:
        return None
    body = handshake[4:4 + length]
    try:
        version = struct.unpack_from("!H", body, 0)[0]
        session_length = body[34]
        cipher_at = 35 + session_length
        cipher = struct.unpack_from("!H", body, cipher_at)[0]
        if len(body) < cipher_at + 3:
            raise IndexError
        extensions = body[cipher_at + 3:]
    except (IndexError, struct.error):
        return ServerAnswer("other", detail="a ServerHello too short to read")
    chosen = _supported_version(extensions)
    return ServerAnswer("hello", version=chosen or version, cipher=cipher)


def _supported_version(extensions: bytes) -> int | None:
    """The version in a TLS 1.3 ServerHello's supported_versions extension, if any."""
    if len(extensions) < 2:
        return None
    total = int.from_bytes(extensions[:2], "big")
    data, offset = extensions[2:2 + total], 0
    while offset + 4 <= len(data):
        kind, length = struct.unpack_from("!HH", data, offset)
        value = data[offset + 4:offset + 4 + length]
        if kind == _EXT_SUPPORTED_VERSIONS and len(value) == 2:
            return int.from_bytes(value, "big")
        offset += 4 + length
    return None
