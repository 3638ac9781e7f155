"""A small, strict DNS wire codec for the common record types, on the hot path of scans.

dnspython builds and parses a full object model for every message; for plain lookups of
A, AAAA, TXT, MX, NS, CNAME, PTR, SOA and CAA the scanner needs only the records' text,
and this codec makes and reads those messages several times faster. DNSSEC queries and
anything unusual still go through dnspython. `tests/net/test_wire.py` checks this codec
against dnspython's on the same messages and fuzzes it.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from dataclasses import dataclass

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
         "CAA": 257}
TYPE_NAMES = {value: name for name, value in TYPES.items()}
# Types asked through the same transport, but whose replies dnspython parses (DNSSEC).
DNSSEC_TYPES = {"DS": 43, "DNSKEY": 48, "RRSIG": 46}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
CLASS_IN = 1
OPT = 41
EDNS_PAYLOAD = 1232
_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")
_MAX_POINTERS = 64


class WireError(ValueError):
    """The message is malformed; the reply cannot be used."""


def encode_name(name: str) -> bytes:
    """An ASCII domain name (no trailing dot needed) in wire form; ValueError if invalid."""
    if name in ("", "."):
        return b"\x00"
    labels = name.rstrip(".").split(".")
    out = bytearray()
    for label in labels:
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError(f"bad label length in {name!r}")
        out.append(len(raw))
        out += raw
    out.append(0)
    if len(out) > 255:
        raise ValueError(f"name too long: {name!r}")
    return bytes(out)


def build_query(qid: int, qname_wire: bytes, rdtype: int, *, payload: int = EDNS_PAYLOAD,
                dnssec: bool = False) -> bytes:
    """A recursive query with EDNS(0); CD set with DNSSEC so we see data to validate."""
    flags = 0x0100 | (0x0010 if dnssec else 0)
    opt_flags = 0x8000 if dnssec else 0
    return (_HEADER.pack(qid, flags, 1, 0, 0, 1) + qname_wire + struct.pack("!HH", rdtype, 1)
            + b"\x00" + struct.pack("!HHIH", OPT, payload, opt_flags, 0))


@dataclass(frozen=True)
class Reply:
    qid: int
    rcode: str
    truncated: bool
    authenticated: bool
    question: bytes  # the question's name as sent back, exactly (case included)
    qtype: int
    records: tuple[tuple[str, int, str], ...]  # (owner, type, text) from the answer section


def read_name(wire: bytes, offset: int) -> tuple[str, int]:
    """A possibly compressed name (lower case, no trailing dot) and the offset after it."""
    labels = []
    end = None
    jumps = 0
    length_total = 0
    while True:
        if offset >= len(wire):
            raise WireError("name runs past the end of the message")
        length = wire[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(wire):
                raise WireError("truncated compression pointer")
            if end is None:
                end = offset + 2
            jumps += 1
            if jumps > _MAX_POINTERS:
                raise WireError("compression loop")
            offset = ((length & 0x3F) << 8) | wire[offset + 1]
            continue
        if length & 0xC0:
            raise WireError("unknown label type")
        offset += 1
        if length == 0:
            break
        label = wire[offset:offset + length]
        if len(label) != length:
            raise WireError("label runs past the end of the message")
        length_total += length + 1
        if length_total > 255:
            raise WireError("name too long")
        labels.append(_label_text(label))
        offset += length
    return ".".join(labels).lower(), (end if end is not None else offset)


_PLAIN_LABEL = re.compile(rb"[\x21-\x2d\x2f-\x5b\x5d-\x7e]+")


def _label_text(label: bytes) -> str:
    if _PLAIN_LABEL.fullmatch(label):
        return label.decode("ascii")
    # Escape as in master files (RFC 1035 §5.1), like dnspython, so odd labels stay distinct.
    out = []
    for b in label:
        if b in (0x2E, 0x5C, 0x22, 0x28, 0x29, 0x3B, 0x40, 0x24):
            out.append("\\" + chr(b))
        elif 0x21 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03d}")
    return "".join(out)


def read_question(wire: bytes) -> tuple[int, bool, bytes, int]:
    """(id, is a response, question name as sent back, qtype): enough to match a reply."""
    if len(wire) < 12:
        raise WireError("shorter than a DNS header")
    qid, flags, qdcount = struct.unpack_from("!HHH", wire)
    if qdcount != 1:
        raise WireError("expected exactly one question")
    _, end = read_name(wire, 12)
    if end + 4 > len(wire):
        raise WireError("truncated question")
    return qid, bool(flags & 0x8000), wire[12:end], struct.unpack_from("!H", wire, end)[0]


def parse_reply(wire: bytes) -> Reply:
    """Read a reply: header, the one question, and the answer section's records as text."""
    if len(wire) < 12:
        raise WireError("shorter than a DNS header")
    qid, flags, qdcount, ancount, _nscount, _arcount = _HEADER.unpack_from(wire)
    if not flags & 0x8000:
        raise WireError("not a response")
    if qdcount != 1:
        raise WireError("expected exactly one question")
    offset = 12
    qstart = offset
    _, offset = read_name(wire, offset)
    question = wire[qstart:offset]
    if offset + 4 > len(wire):
        raise WireError("truncated question")
    qtype, _qclass = struct.unpack_from("!HH", wire, offset)
    offset += 4
    records = []
    for _ in range(ancount):
        owner, offset = read_name(wire, offset)
        if offset + 10 > len(wire):
            raise WireError("truncated record")
        rtype, rclass, _ttl, rdlength = _RR_FIXED.unpack_from(wire, offset)
        offset += 10
        end = offset + rdlength
        if end > len(wire):
            raise WireError("record data runs past the end of the message")
        if rclass == CLASS_IN and rtype in TYPE_NAMES:
            records.append((owner, rtype, _rdata_text(wire, offset, end, rtype)))
        offset = end
    rcode = RCODES.get(flags & 0x000F, f"RCODE{flags & 0x000F}")
    return Reply(qid, rcode, bool(flags & 0x0200), bool(flags & 0x0020), question, qtype,
                 tuple(records))


def _rdata_text(wire: bytes, start: int, end: int, rtype: int) -> str:
    data = wire[start:end]
    if rtype == 1:
        if len(data) != 4:
            raise WireError("A record is not 4 bytes")
        return str(ipaddress.IPv4Address(data))
    if rtype == 28:
        if len(data) != 16:
            raise WireError("AAAA record is not 16 bytes")
        return _ipv6_text(data)
    if rtype == 16:
        return _txt_text(data)
    if rtype in (2, 5, 12):
        name, after = read_name(wire, start)
        _expect_end(after, end)
        return name
    if rtype == 15:
        if len(data) < 3:
            raise WireError("MX record too short")
        name, after = read_name(wire, start + 2)
        _expect_end(after, end)
        return f"{struct.unpack_from('!H', wire, start)[0]} {name}"
    if rtype == 6:
        mname, offset = read_name(wire, start)
        rname, offset = read_name(wire, offset)
        if end - offset != 20:
            raise WireError("SOA record has the wrong length")
        numbers = struct.unpack_from("!IIIII", wire, offset)
        return " ".join([_absolute(mname), _absolute(rname), *map(str, numbers)])
    if rtype == 257:
        return _caa_text(data)
    raise WireError(f"type {rtype} is not handled here")


def _expect_end(offset: int, end: int) -> None:
    if offset != end:
        raise WireError("record data has the wrong length")


def _absolute(name: str) -> str:
    return name + "." if name else "."


def _txt_text(data: bytes) -> str:
    parts = []
    offset = 0
    if not data:
        raise WireError("empty TXT record")
    while offset < len(data):
        length = data[offset]
        chunk = data[offset + 1:offset + 1 + length]
        if len(chunk) != length:
            raise WireError("TXT string runs past the record")
        parts.append(chunk)
        offset += 1 + length
    return b"".join(parts).decode("utf-8", "replace")


def _ipv6_text(data: bytes) -> str:
    address = ipaddress.IPv6Address(data)
    if address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return address.compressed


def _caa_text(data: bytes) -> str:
    if len(data) < 2:
        raise WireError("CAA record too short")
    flags, tag_length = data[0], data[1]
    tag = data[2:2 + tag_length]
    if len(tag) != tag_length or tag_length == 0:
        raise WireError("CAA tag runs past the record")
    if not tag.isalnum():
        raise WireError("CAA tag is not alphanumeric")
    value = data[2 + tag_length:]
    return f'{flags} {tag.decode("ascii")} "{_escape(value)}"'


def _escape(value: bytes) -> str:
    out = []
    for b in value:
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03d}")
    return "".join(out)
