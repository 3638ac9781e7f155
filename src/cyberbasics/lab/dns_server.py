"""The lab's authoritative DNS server: every lab zone, on loopback, UDP and TCP.

Cheap by design (one asyncio loop, no thread or task per UDP query, answers cached as
wire bytes) because in benchmarks it shares two cores with the scanner it serves.
Faults are injected per name, for the scanner's could-not-check paths:

    "servfail" | "refused" | "drop" | "garbage" | "truncate" | "delay:SECONDS"

keyed by owner name (``"broken.example"``) or by name and type (``"broken.example/TXT"``).
"""

from __future__ import annotations

import asyncio
import os
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
        self._wire_cache: dict[tuple, bytes] = {}
        self._names_cache: dict[int, frozenset] = {}

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
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None, 0.0
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
        key = (qname.canonicalize(), qtype, want_dnssec, max_size, query.edns >= 0)
        cached = self._wire_cache.get(key)
        if cached is None:
            try:
                cached = self._render(query, qname, qtype, want_dnssec, max_size)
            except Exception:  # a lab bug must show as SERVFAIL, not kill the server
                return _error_reply(query, dns.rcode.SERVFAIL), delay
            if len(self._wire_cache) < 100_000:
                self._wire_cache[key] = cached
        return query.id.to_bytes(2, "big") + cached[2:], delay

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
