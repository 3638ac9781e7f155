"""The lab's authoritative DNS server: every lab zone, on loopback, UDP and TCP.

Cheap by design (one asyncio loop, no thread or task per UDP query) because in benchmarks it
shares two cores with the scanner it serves. Ordinary queries take a fast path: the query is
parsed by hand and the answer assembled from RRsets rendered to wire bytes once (per owner,
type and DO bit, on first use). Anything unusual (other opcodes, several questions, EDNS
options, compression pointers, an answer too big for the client) goes the slow way, through
dnspython, which is also the reference the fast path is tested against.
Faults are injected per name, for the scanner's could-not-check paths:

    "servfail" | "refused" | "drop" | "garbage" | "truncate" | "delay:SECONDS"

keyed by owner name (``"broken.example"``) or by name and type (``"broken.example/TXT"``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from .zones import LabZoneSet, Records

_MAX_CNAME_CHAIN = 8
_TCP_IDLE_SECONDS = 10.0

# The fast path's wire format pieces.
_HEADER = struct.Struct("!HHHHHH")
_OPT_FIXED = struct.Struct("!HIH")  # OPT after its owner and type: payload, TTL (flags), rdlen
_QR, _AA, _TC, _RD = 0x8000, 0x0400, 0x0200, 0x0100
_QR_AND_OPCODE = 0xF800
_DO = 0x8000
_ROOT = b"\x00"
_POINTER_TO_QNAME = b"\xc0\x0c"  # the question's name always starts at offset 12
# Our OPT record, as dnspython's make_response writes it: root owner, payload 8192, no flags.
_OUR_OPT = b"\x00\x00\x29\x20\x00\x00\x00\x00\x00\x00\x00"
_FALLBACK = object()  # the fast path's "ask dnspython"
# Label bytes that dns.name's to_text writes as they are (others are escaped).
_ESCAPED_IN_TEXT = re.compile(rb'[^\x21-\x7e]|["().;\\@$]')
_DS, _CNAME, _SOA = dns.rdatatype.DS, dns.rdatatype.CNAME, dns.rdatatype.SOA
_IN, _RRSIG = dns.rdataclass.IN, dns.rdatatype.RRSIG
_NOERROR, _NXDOMAIN, _REFUSED = dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.REFUSED


@dataclass
class _Answer:
    rcode: int
    answer: list[dns.rrset.RRset]
    authority: list[dns.rrset.RRset]


class LabDnsServer:
    """Serve a `LabZoneSet` on 127.0.0.1 (or another loopback address).

    Use as ``async with LabDnsServer(zones) as server: server.address``. ``delay`` adds
    latency to every answer (as a far-away server would have); ``port=0`` picks a free port,
    the same one for UDP and TCP.
    """

    def __init__(
        self,
        zones: LabZoneSet,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float = 0.0,
        faults: Mapping[str, str] | None = None,
    ):
        if not host.startswith("127."):
            raise ValueError("the lab serves on loopback only")
        self.zones = zones
        self.host = host
        self.port = port
        self.delay = delay
        self.faults = {k.lower().rstrip("."): v for k, v in (faults or {}).items()}
        self.queries_received = 0
        self._udp = None
        self._tcp = None
        self._names_cache: dict[int, frozenset] = {}
        self._fast_zones: dict[bytes, _FastZone] | None = None  # by origin, as canonical wire

    @classmethod
    def from_records(cls, records: Records, **kwargs) -> LabDnsServer:
        return cls(LabZoneSet.from_records(records), **kwargs)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    async def start(self) -> LabDnsServer:
        loop = asyncio.get_running_loop()
        for _ in range(20):  # UDP and TCP must agree on a port; retry if TCP's is taken
            self._udp, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=(self.host, self.port)
            )
            port = self._udp.get_extra_info("sockname")[1]
            with contextlib.suppress(OSError):  # bursts of queries from a batch scan
                self._udp.get_extra_info("socket").setsockopt(
                    socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, self.host, port)
            except OSError:
                self._udp.close()
                if self.port:
                    raise
                continue
            self.port = port
            return self
        raise OSError("no free port for the lab DNS server")

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()

    async def __aenter__(self) -> LabDnsServer:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # Answering
    def reply_wire(self, wire: bytes, *, tcp: bool) -> tuple[bytes | None, float]:
        """The reply to one query and how long to hold it back (None: say nothing)."""
        self.queries_received += 1
        reply = self._reply_fast(wire, tcp)
        if reply is _FALLBACK:
            return self._reply_slow(wire, tcp=tcp)
        return reply

    def _reply_fast(self, wire: bytes, tcp: bool):
        """`reply_wire` for an ordinary query, or _FALLBACK to leave it to `_reply_slow`."""
        try:
            return self._reply_fast_unguarded(wire, tcp)
        except Exception:  # the slow path knows what to say (or to say nothing)
            return _FALLBACK

    def _reply_fast_unguarded(self, wire: bytes, tcp: bool):
        """Answer an ordinary query without dnspython, or return _FALLBACK.

        Handles exactly one shape, the one resolvers send: opcode QUERY, one question with an
        uncompressed name, nothing else but an optional OPT record without options. It must
        answer as `_reply_slow` does for every query it accepts.
        """
        size = len(wire)
        if size < 17:
            return _FALLBACK
        qid, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire)
        if flags & _QR_AND_OPCODE or qdcount != 1 or ancount or nscount or arcount > 1:
            return _FALLBACK
        pos = 12
        length = wire[12]
        while length:
            if length > 63:  # a compression pointer or an obsolete label type
                return _FALLBACK
            pos += length + 1
            length = wire[pos]
        name_end = pos + 1
        question_end = name_end + 4
        if name_end > 12 + 255:
            return _FALLBACK
        if arcount:
            if size != question_end + 11 or wire[question_end:question_end + 3] != b"\x00\x00\x29":
                return _FALLBACK
            payload, ednsflags, rdlen = _OPT_FIXED.unpack_from(wire, question_end + 3)
            if rdlen:  # EDNS options (cookies, padding, ...): dnspython's business
                return _FALLBACK
            want_dnssec = bool(ednsflags & _DO)
            opt = _OUR_OPT
        elif size != question_end:
            return _FALLBACK
        else:
            payload = 512
            want_dnssec = False
            opt = b""
        key = wire[12:name_end].lower()
        qtype = (wire[name_end] << 8) | wire[name_end + 1]
        question = wire[12:question_end]
        rd = flags & _RD
        arcount = 1 if opt else 0
        delay = self.delay
        fault = self._fast_fault_for(key, qtype) if self.faults else None
        if fault is not None:
            if fault == "drop":
                return None, 0.0
            if fault == "garbage":
                return wire[:2] + os.urandom(40), delay
            if fault in ("servfail", "refused"):
                rcode = dns.rcode.SERVFAIL if fault == "servfail" else _REFUSED
                return (_HEADER.pack(qid, _QR | rd | rcode, 1, 0, 0, arcount) + question + opt,
                        delay)
            if fault.startswith("delay:"):
                delay += float(fault.partition(":")[2])
        max_size = 65535 if tcp else max(512, payload)
        if fault == "truncate" and not tcp:
            max_size = 0
        rcode, ancount, answer, nscount, authority = self._answer_fast(key, qtype, want_dnssec)
        if not max_size:
            return (_HEADER.pack(qid, _QR | _AA | _TC | rd, 1, 0, 0, arcount) + question + opt,
                    delay)
        reply = b"".join((_HEADER.pack(qid, _QR | _AA | rd | rcode, 1, ancount, nscount,
                                       arcount), question, *answer, authority, opt))
        if len(reply) > max_size:  # dnspython compresses, then decides whether it fits
            return _FALLBACK
        return reply, delay

    def _fast_fault_for(self, key: bytes, qtype: int) -> str | None:
        """`_fault_for`, from the query name as canonical wire."""
        if key == _ROOT:
            text = "."
        else:
            labels = []
            pos = 0
            while length := key[pos]:
                labels.append(key[pos + 1:pos + 1 + length])
                pos += length + 1
            if _ESCAPED_IN_TEXT.search(b"".join(labels)):
                text = dns.name.Name((*labels, b"")).to_text(omit_final_dot=True).lower()
            else:
                text = b".".join(labels).decode("ascii")
        return (self.faults.get(f"{text}/{_type_text(qtype)}") or self.faults.get(text))

    def _answer_fast(self, key: bytes, qtype: int, want_dnssec: bool):
        """`_resolve` over pre-rendered RRsets: (rcode, answer count, answer wire pieces,
        authority count, authority wire)."""
        zone = self._fast_zone_for(key[key[0] + 1:] if qtype == _DS and key != _ROOT else key)
        if zone is None:
            return _REFUSED, 0, (), 0, b""
        answer: list[bytes] = []
        ancount = 0
        owner = None  # the answer's owner: the question's name (a pointer to it) at first
        for _ in range(_MAX_CNAME_CHAIN):
            if zone.nodes is None:
                zone.load()
            node = zone.nodes.get(key)
            if node is None:
                if key in zone.names:  # an empty non-terminal
                    return (_NOERROR, ancount, answer, *zone.authority(want_dnssec))
                node = zone.wildcard(key)
                if node is None:
                    return (_NXDOMAIN, ancount, answer, *zone.authority(want_dnssec))
            rendered = node.rrsets(qtype, want_dnssec)
            if rendered is not None:
                answer.append(rendered.with_owner(owner))
                return _NOERROR, ancount + rendered.count, answer, 0, b""
            cname = node.rrsets(_CNAME, want_dnssec)
            if cname is None or qtype == _CNAME:
                return (_NOERROR, ancount, answer, *zone.authority(want_dnssec))
            answer.append(cname.with_owner(owner))
            ancount += cname.count
            key, owner = node.cname_target()
            zone = self._fast_zone_for(key)
            if zone is None:
                break
        return _NOERROR, ancount, answer, 0, b""

    def _fast_zone_for(self, key: bytes) -> _FastZone | None:
        """`LabZoneSet.zone_for`, for a name as canonical wire."""
        zones = self._fast_zones
        if zones is None:
            zones = self._fast_zones = {origin.to_digestable(): _FastZone(zone)
                                        for origin, zone in self.zones.zones.items()}
        while True:
            zone = zones.get(key)
            if zone is not None:
                return zone
            if key == _ROOT:
                return None
            key = key[key[0] + 1:]

    def _reply_slow(self, wire: bytes, *, tcp: bool) -> tuple[bytes | None, float]:
        """`reply_wire` through dnspython: for what the fast path leaves, and its reference."""
        try:
            query = dns.message.from_wire(wire)
            if query.flags & dns.flags.QR:  # a response: answering it could start a loop
                return None, 0.0
        except Exception:  # unreadable: say nothing, as a server should
            return None, 0.0
        try:
            return self._answer_slow(wire, query, tcp)
        except Exception:  # e.g. a bad fault setting; never let it reach the event loop
            return None, 0.0

    def _answer_slow(self, wire: bytes, query: dns.message.Message, tcp: bool):
        if not query.question:
            return _error_reply(query, dns.rcode.FORMERR), self.delay
        question = query.question[0]
        qname = question.name
        qtype = question.rdtype
        fault = self._fault_for(qname, qtype)
        delay = self.delay
        if fault == "drop":
            return None, 0.0
        if fault == "garbage":
            return wire[:2] + os.urandom(40), delay
        if fault in ("servfail", "refused"):
            rcode = dns.rcode.SERVFAIL if fault == "servfail" else dns.rcode.REFUSED
            return _error_reply(query, rcode), delay
        if fault and fault.startswith("delay:"):
            delay += float(fault.partition(":")[2])
        want_dnssec = bool(query.ednsflags & dns.flags.DO)
        max_size = 65535 if tcp else max(512, query.payload if query.edns >= 0 else 512)
        if fault == "truncate" and not tcp:
            max_size = 0
        try:
            reply = self._render(query, qname, qtype, want_dnssec, max_size)
        except Exception:  # a lab bug must show as SERVFAIL, not kill the server
            return _error_reply(query, dns.rcode.SERVFAIL), delay
        return reply, delay

    def _fault_for(self, qname: dns.name.Name, qtype: int) -> str | None:
        if not self.faults:
            return None
        text = qname.to_text(omit_final_dot=True).lower()
        return (self.faults.get(f"{text}/{dns.rdatatype.to_text(qtype).lower()}")
                or self.faults.get(text))

    def _render(self, query, qname, qtype, want_dnssec: bool, max_size: int) -> bytes:
        result = self._resolve(qname, qtype, want_dnssec)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        response.set_rcode(result.rcode)
        response.answer.extend(result.answer)
        response.authority.extend(result.authority)
        try:
            return response.to_wire(max_size=max_size) if max_size else _truncated(query)
        except dns.exception.TooBig:
            return _truncated(query)

    def _resolve(self, qname: dns.name.Name, qtype: int, want_dnssec: bool) -> _Answer:
        zone = self.zones.zone_for(qname, parent_side=qtype == dns.rdatatype.DS)
        if zone is None:
            return _Answer(dns.rcode.REFUSED, [], [])
        answer: list[dns.rrset.RRset] = []
        for _ in range(_MAX_CNAME_CHAIN):
            node = zone.get_node(qname)
            owner = qname
            if node is None:
                if self._is_empty_non_terminal(zone, qname):
                    return _Answer(dns.rcode.NOERROR, answer, self._soa(zone, want_dnssec))
                node = self._wildcard(zone, qname)
                if node is None:
                    return _Answer(dns.rcode.NXDOMAIN, answer, self._soa(zone, want_dnssec))
            rdataset = node.get_rdataset(dns.rdataclass.IN, qtype)
            if rdataset is not None:
                answer.extend(self._with_signatures(node, owner, rdataset, want_dnssec))
                return _Answer(dns.rcode.NOERROR, answer, [])
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None or qtype == dns.rdatatype.CNAME:
                return _Answer(dns.rcode.NOERROR, answer, self._soa(zone, want_dnssec))
            answer.extend(self._with_signatures(node, owner, cname, want_dnssec))
            qname = cname[0].target
            zone = self.zones.zone_for(qname)
            if zone is None:
                break
        return _Answer(dns.rcode.NOERROR, answer, [])

    def _with_signatures(self, node, name, rdataset, want_dnssec: bool) -> list[dns.rrset.RRset]:
        rrsets = [_rrset(name, rdataset)]
        if want_dnssec:
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdataset.rdtype)
            if sigs is not None:
                rrsets.append(_rrset(name, sigs))
        return rrsets

    def _soa(self, zone, want_dnssec: bool) -> list[dns.rrset.RRset]:
        node = zone.get_node(zone.origin)
        soa = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.SOA)
        return self._with_signatures(node, zone.origin, soa, want_dnssec)

    def _wildcard(self, zone, qname: dns.name.Name):
        """The node of the wildcard that synthesises qname (RFC 4592), if there is one."""
        encloser = qname.parent()
        while len(encloser) > len(zone.origin) and zone.get_node(encloser) is None \
                and not self._is_empty_non_terminal(zone, encloser):
            encloser = encloser.parent()
        return zone.get_node(dns.name.Name((b"*", *encloser.labels)))

    def _is_empty_non_terminal(self, zone, qname: dns.name.Name) -> bool:
        names = self._names_cache.get(id(zone))
        if names is None:
            ancestors = set()
            for name in zone.nodes:
                while name != zone.origin and len(name) > len(zone.origin):
                    ancestors.add(name)
                    name = name.parent()
            names = frozenset(ancestors)
            self._names_cache[id(zone)] = names
        return qname in names

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                header = await asyncio.wait_for(reader.readexactly(2), _TCP_IDLE_SECONDS)
                wire = await asyncio.wait_for(
                    reader.readexactly(struct.unpack("!H", header)[0]), _TCP_IDLE_SECONDS
                )
                reply, delay = self.reply_wire(wire, tcp=True)
                if reply is None:
                    continue
                if delay:
                    await asyncio.sleep(delay)
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


class _Rendered:
    """An RRset (and its RRSIGs, for DO) as wire bytes, every RR but its owner name."""

    __slots__ = ("bodies", "count", "under_pointer")

    def __init__(self, bodies: tuple[bytes, ...]):
        self.count = len(bodies)
        self.bodies = bodies
        self.under_pointer = b"".join(_POINTER_TO_QNAME + body for body in bodies)

    def with_owner(self, owner: bytes | None) -> bytes:
        """The RRs owned by `owner` (uncompressed wire), or by the question's name (None)."""
        if owner is None:
            return self.under_pointer
        return b"".join(owner + body for body in self.bodies)


def _rr_bodies(rdataset) -> tuple[bytes, ...]:
    """What dnspython's Rdataset.to_wire writes after each owner name, uncompressed."""
    if not len(rdataset):
        return (struct.pack("!HHIH", rdataset.rdtype, rdataset.rdclass, 0, 0),)
    head = struct.pack("!HHI", rdataset.rdtype, rdataset.rdclass, rdataset.ttl)
    bodies = []
    for rdata in rdataset:
        data = rdata.to_wire()
        bodies.append(head + struct.pack("!H", len(data)) + data)
    return tuple(bodies)


class _FastNode:
    """A zone node with its RRsets rendered on first use, by (type, DO)."""

    __slots__ = ("node", "rendered", "target")

    def __init__(self, node):
        self.node = node
        self.rendered: dict[tuple[int, bool], _Rendered | None] = {}
        self.target: tuple[bytes, bytes] | None = None

    def rrsets(self, rdtype: int, want_dnssec: bool) -> _Rendered | None:
        """As `_with_signatures`: the rdataset of that type and, for DO, its RRSIGs."""
        key = (rdtype, want_dnssec)
        try:
            return self.rendered[key]
        except KeyError:
            pass
        rendered = None
        rdataset = self.node.get_rdataset(_IN, rdtype)
        if rdataset is not None:
            bodies = _rr_bodies(rdataset)
            if want_dnssec:
                sigs = self.node.get_rdataset(_IN, _RRSIG, rdataset.rdtype)
                if sigs is not None:
                    bodies += _rr_bodies(sigs)
            rendered = _Rendered(bodies)
        if rendered is not None or len(self.rendered) < 32:  # odd types asked: no memo
            self.rendered[key] = rendered
        return rendered

    def cname_target(self) -> tuple[bytes, bytes]:
        """The CNAME's target as (canonical wire, wire as written in the zone)."""
        if self.target is None:
            target = self.node.get_rdataset(_IN, _CNAME)[0].target
            self.target = (target.to_digestable(), target.to_wire())
        return self.target


class _FastZone:
    """A zone's names as canonical wire (nodes, empty non-terminals), loaded on first use."""

    __slots__ = ("names", "nodes", "origin", "soa", "zone")

    def __init__(self, zone):
        self.zone = zone
        self.origin = zone.origin.to_digestable()
        self.nodes: dict[bytes, _FastNode] | None = None
        self.names: frozenset[bytes] = frozenset()
        self.soa: dict[bool, tuple[int, bytes]] = {}

    def load(self) -> None:
        nodes = {name.to_digestable(): _FastNode(node) for name, node in self.zone.nodes.items()}
        names = set()  # as `_is_empty_non_terminal`: every name at or above a node, below the apex
        for key in nodes:
            while key != self.origin and len(key) > len(self.origin):
                names.add(key)
                key = key[key[0] + 1:]
        self.names = frozenset(names)
        self.nodes = nodes

    def authority(self, want_dnssec: bool) -> tuple[int, bytes]:
        """As `_soa`: the zone's SOA (and its RRSIGs, for DO), owned by the apex."""
        soa = self.soa.get(want_dnssec)
        if soa is None:
            rendered = self.nodes[self.origin].rrsets(_SOA, want_dnssec)
            if rendered is None:
                raise LookupError(f"no SOA at {self.zone.origin}")
            soa = (rendered.count, rendered.with_owner(self.zone.origin.to_wire()))
            self.soa[want_dnssec] = soa
        return soa

    def wildcard(self, key: bytes) -> _FastNode | None:
        """As `_wildcard`: the node of the wildcard that synthesises this name, if any."""
        encloser = key[key[0] + 1:]
        while len(encloser) > len(self.origin) and encloser not in self.nodes \
                and encloser not in self.names:
            encloser = encloser[encloser[0] + 1:]
        return self.nodes.get(b"\x01*" + encloser)


_TYPE_TEXTS: dict[int, str] = {}


def _type_text(rdtype: int) -> str:
    text = _TYPE_TEXTS.get(rdtype)
    if text is None:
        text = _TYPE_TEXTS[rdtype] = dns.rdatatype.to_text(rdtype).lower()
    return text


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: LabDnsServer):
        self.server = server
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data: bytes, addr):
        reply, delay = self.server.reply_wire(data, tcp=False)
        if reply is None:
            return
        if delay:
            asyncio.get_running_loop().call_later(delay, self._send, reply, addr)
        else:
            self._send(reply, addr)

    def _send(self, reply: bytes, addr) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(reply, addr)


def _rrset(name: dns.name.Name, rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype, rdataset.covers)
    rrset.update(rdataset)
    return rrset


def _error_reply(query: dns.message.Message, rcode: int) -> bytes:
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    return response.to_wire()


def _truncated(query: dns.message.Message) -> bytes:
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA | dns.flags.TC
    return response.to_wire()
