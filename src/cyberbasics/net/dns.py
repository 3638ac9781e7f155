"""DNS evidence and the scanner's own stub resolver.

Every query goes to the nameservers named in the configuration, never to whatever
the operating system or dnspython would pick by default: the lab and the tests
depend on that, and so does an advisor who wants a scan to use one resolver.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import dns.exception
import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype

# dns.message and dns.asyncquery are imported where used: they pull in an HTTP stack for
# DNS over HTTPS, which `cyberbasics spf check` (started by mail filters) must not pay for.
from . import wire

if TYPE_CHECKING:
    from dns.message import Message
    from dns.rrset import RRset

# Outcome of one query. NOERROR with no records is a "no data" answer.
NOERROR = "NOERROR"
NXDOMAIN = "NXDOMAIN"
SERVFAIL = "SERVFAIL"
REFUSED = "REFUSED"
TIMEOUT = "TIMEOUT"
ERROR = "ERROR"  # anything else: FORMERR, malformed reply, network error

_MAX_CNAME_CHAIN = 8


@dataclass(frozen=True)
class DnsAnswer:
    """One DNS answer as evidence: what was asked, what came back, or why nothing did."""

    name: str  # the queried name, lower case, without the trailing dot
    rdtype: str  # "A", "TXT", ...
    rcode: str  # NOERROR, NXDOMAIN, SERVFAIL, REFUSED, TIMEOUT or ERROR
    records: tuple[str, ...] = ()  # presentation text, see _record_text
    error: str | None = None  # human-readable reason when rcode is not NOERROR/NXDOMAIN
    canonical_name: str | None = None  # target of a CNAME chain, when there was one
    authenticated: bool = False  # the reply's AD flag (meaningful from a validating resolver)
    # The raw dnspython objects, for DNSSEC validation; never compared or serialised.
    rrset: RRset | None = field(default=None, compare=False, repr=False)
    rrsigs: RRset | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        """The server gave a definite answer (records, no data, or no such name)."""
        return self.rcode in (NOERROR, NXDOMAIN)

    @property
    def exists(self) -> bool:
        return self.rcode == NOERROR

    def to_json(self) -> dict:
        data: dict = {"name": self.name, "type": self.rdtype, "rcode": self.rcode}
        if self.records:
            data["records"] = list(self.records)
        if self.canonical_name:
            data["canonical_name"] = self.canonical_name
        if self.error:
            data["error"] = self.error
        return data

    # Typed views of the records, for checks and protocol code.
    def mx(self) -> list[tuple[int, str]]:
        """(preference, exchange) pairs; exchange lower case, no trailing dot ("" for null MX)."""
        pairs = []
        for text in self.records:
            pref, _, host = text.partition(" ")
            pairs.append((int(pref), host))
        return sorted(pairs)


def normalise_name(name: str) -> str:
    return name.rstrip(".").lower()


def _record_text(rdata) -> str:
    """Presentation text that checks can use directly.

    TXT: the character-strings joined (RFC 7208 §3.3), decoded as UTF-8 with
    replacement; A/AAAA: the address; MX: "preference exchange"; names without
    the trailing dot; everything else: dnspython's text form.
    """
    rdtype = rdata.rdtype
    if rdtype in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return rdata.address
    if rdtype == dns.rdatatype.MX:
        return f"{rdata.preference} {normalise_name(rdata.exchange.to_text())}"
    if rdtype in (dns.rdatatype.NS, dns.rdatatype.CNAME, dns.rdatatype.PTR):
        return normalise_name(rdata.target.to_text())
    return rdata.to_text()


def answer_from_message(name: str, rdtype: str, reply: Message) -> DnsAnswer:
    """Turn a reply into evidence, following a CNAME chain inside the answer section."""
    rcode = dns.rcode.to_text(reply.rcode())
    authenticated = bool(reply.flags & dns.flags.AD)
    if rcode not in (NOERROR, NXDOMAIN):
        known = rcode if rcode in (SERVFAIL, REFUSED) else ERROR
        return DnsAnswer(name, rdtype, known, error=f"server answered {rcode}")
    wanted_type = dns.rdatatype.from_text(rdtype)
    qname = dns.name.from_text(name)
    canonical = None
    for _ in range(_MAX_CNAME_CHAIN):
        rrset = _find(reply, qname, wanted_type)
        if rrset is not None:
            sigs = _find(reply, qname, dns.rdatatype.RRSIG, covers=wanted_type)
            records = tuple(sorted(_record_text(r) for r in rrset))
            return DnsAnswer(name, rdtype, NOERROR, records, None, canonical, authenticated,
                             rrset, sigs)
        cname = _find(reply, qname, dns.rdatatype.CNAME)
        if cname is None or wanted_type == dns.rdatatype.CNAME:
            break
        qname = cname[0].target
        canonical = normalise_name(qname.to_text())
    return DnsAnswer(name, rdtype, rcode, (), None, canonical, authenticated)


def _find(reply, qname, rdtype, covers=dns.rdatatype.NONE):
    for rrset in reply.answer:
        if rrset.name == qname and rrset.rdtype == rdtype and rrset.covers == covers:
            return rrset
    return None


class DnsClient:
    """A small stub resolver that asks configured nameservers and remembers each answer.

    One client serves a whole batch of domains, so a name many domains share (an
    SPF include, an MX host, a parent zone's keys) is asked once; concurrent askers
    of the same name wait for the same query. Plain lookups use the compact codec in
    `wire` over a small pool of UDP sockets; DNSSEC lookups and truncated answers go
    through dnspython (over TCP for the latter).
    """

    def __init__(
        self,
        nameservers: Sequence[tuple[str, int]],
        *,
        timeout: float = 5.0,
        attempts: int = 2,
        max_in_flight: int = 256,
    ):
        if not nameservers:
            raise ValueError("DnsClient needs at least one nameserver")
        self.nameservers = list(nameservers)
        self.timeout = timeout
        self.attempts = attempts
        self.queries_sent = 0
        self._answers: dict[tuple, asyncio.Task[DnsAnswer]] = {}
        self._slots = asyncio.Semaphore(max_in_flight)
        self._udp = _UdpPool()

    async def lookup(
        self, name: str, rdtype: str, *, dnssec: bool = False,
        server: tuple[str, int] | None = None,
    ) -> DnsAnswer:
        """The answer for (name, rdtype), asked at most once per client.

        ``server`` asks one given server (say, a domain's own nameserver) instead of the
        configured resolvers; the caller is responsible for having checked that address.
        """
        task = self.prefetch(name, rdtype, dnssec=dnssec, server=server)
        if task.done():
            return task.result()
        return await asyncio.shield(task)

    def prefetch(self, name: str, rdtype: str, *, dnssec: bool = False,
                 server: tuple[str, int] | None = None) -> asyncio.Task[DnsAnswer]:
        """Start the query now (if not asked yet) and return its task; `lookup` awaits it."""
        key = (normalise_name(name), rdtype.upper(), dnssec, server)
        task = self._answers.get(key)
        if task is None:
            # The query runs on its own, so one asker giving up never cancels it for others.
            task = asyncio.ensure_future(self._ask(key[0], key[1], dnssec, server))
            self._answers[key] = task
        return task

    def close(self) -> None:
        self._udp.close()

    async def _ask(self, name: str, rdtype: str, dnssec: bool, server) -> DnsAnswer:
        qtype = wire.TYPES.get(rdtype) or wire.DNSSEC_TYPES.get(rdtype)
        try:
            qname = wire.encode_name(name)
            if qtype is None:
                qtype = dns.rdatatype.from_text(rdtype)
        except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
            return DnsAnswer(name, rdtype, ERROR, error=f"not a valid DNS query: {exc}")
        last_error = "no nameserver answered"
        servers = [server] if server else self.nameservers
        first = random.randrange(len(servers))
        for attempt in range(self.attempts):
            host, port = servers[(first + attempt) % len(servers)]
            async with self._slots:
                self.queries_sent += 1
                try:
                    answer = await self._exchange(name, rdtype, qname, qtype, dnssec, host, port)
                except (dns.exception.Timeout, TimeoutError):
                    last_error = f"no answer from {host} within {self.timeout:g} s"
                    continue
                except (dns.exception.DNSException, OSError, ValueError) as exc:
                    last_error = f"bad answer from {host}: {exc.__class__.__name__}: {exc}"
                    continue
            if answer.rcode in (SERVFAIL, REFUSED) and attempt + 1 < self.attempts:
                last_error = answer.error or last_error
                continue
            return answer
        rcode = TIMEOUT if "within" in last_error else ERROR
        return DnsAnswer(name, rdtype, rcode, error=last_error)

    async def _exchange(self, name: str, rdtype: str, qname: bytes, qtype: int, dnssec: bool,
                        host: str, port: int) -> DnsAnswer:
        data = await self._udp.exchange(host, port, qname, qtype, dnssec, self.timeout)
        if not dnssec and rdtype in wire.TYPES:
            reply = wire.parse_reply(data)
            if not reply.truncated:
                return answer_from_reply(name, rdtype, qtype, reply)
        else:
            import dns.message

            message = dns.message.from_wire(data)
            if not message.flags & dns.flags.TC:
                return answer_from_message(name or ".", rdtype, message)
        # Truncated over UDP: ask again over TCP.
        import dns.asyncquery
        import dns.message

        query = dns.message.make_query(name or ".", rdtype, want_dnssec=dnssec, use_edns=0,
                                       payload=wire.EDNS_PAYLOAD)
        if dnssec:
            query.flags |= dns.flags.CD
        message = await dns.asyncquery.tcp(query, host, timeout=self.timeout, port=port)
        return answer_from_message(name or ".", rdtype, message)


def answer_from_reply(name: str, rdtype: str, qtype: int, reply: wire.Reply) -> DnsAnswer:
    """Evidence from a reply read by the compact codec, following a CNAME chain."""
    rcode = reply.rcode
    if rcode not in (NOERROR, NXDOMAIN):
        known = rcode if rcode in (SERVFAIL, REFUSED) else ERROR
        return DnsAnswer(name, rdtype, known, error=f"server answered {rcode}")
    current = wire.read_name(reply.question, 0)[0]  # in the codec's (escaped) form
    canonical = None
    for _ in range(_MAX_CNAME_CHAIN):
        found = sorted(text for owner, rtype, text in reply.records
                       if owner == current and rtype == qtype)
        if found:
            return DnsAnswer(name, rdtype, NOERROR, tuple(found), None, canonical,
                             reply.authenticated)
        targets = [text for owner, rtype, text in reply.records
                   if owner == current and rtype == 5]
        if not targets or qtype == 5:
            break
        current = canonical = targets[0]
    return DnsAnswer(name, rdtype, rcode, (), None, canonical, reply.authenticated)


class _UdpPool:
    """A few long-lived UDP sockets shared by all queries, matched by id, server and
    question; far cheaper than a socket per query. The random id and the random choice
    of socket (each with its own source port) keep off-path spoofing hard."""

    SOCKETS = 8

    def __init__(self):
        self._sockets: dict[int, list[_UdpSocket]] = {}

    async def exchange(self, host: str, port: int, qname: bytes, qtype: int, dnssec: bool,
                       timeout: float) -> bytes:
        """Send one query and return the raw reply to exactly that question."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sockets = self._sockets.get(family)
        if sockets is None:
            sockets = self._sockets[family] = [None] * self.SOCKETS
        slot = random.randrange(self.SOCKETS)
        sock = sockets[slot]
        if sock is None or sock.transport is None or sock.transport.is_closing():
            loop = asyncio.get_running_loop()
            local = ("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0)
            transport, sock = await loop.create_datagram_endpoint(_UdpSocket, local_addr=local,
                                                                  family=family)
            with contextlib.suppress(OSError):  # bursts of replies must not overflow it
                transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET,
                                                              socket.SO_RCVBUF, 1 << 20)
            sockets[slot] = sock
        return await sock.exchange((host, port), qname, qtype, dnssec, timeout)

    def close(self) -> None:
        for sockets in self._sockets.values():
            for sock in sockets:
                if sock is not None and sock.transport is not None:
                    sock.transport.close()
        self._sockets.clear()


class _UdpSocket(asyncio.DatagramProtocol):
    def __init__(self):
        self.transport = None
        self._pending: dict[tuple, tuple[asyncio.Future, bytes, int]] = {}

    def connection_made(self, transport):
        self.transport = transport

    async def exchange(self, address: tuple[str, int], qname: bytes, qtype: int, dnssec: bool,
                       timeout: float) -> bytes:
        loop = asyncio.get_running_loop()
        for _ in range(8):
            qid = random.getrandbits(16)
            key = (qid, address)
            if key not in self._pending:
                break
        future = loop.create_future()
        self._pending[key] = (future, qname.lower(), qtype)
        try:
            self.transport.sendto(wire.build_query(qid, qname, qtype, dnssec=dnssec), address)
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self._pending.pop(key, None)

    def datagram_received(self, data: bytes, addr) -> None:
        if len(data) < 2:
            return
        key = (int.from_bytes(data[:2], "big"), (addr[0], addr[1]))
        pending = self._pending.get(key)
        if pending is None:
            return  # not ours, or too late
        future, qname, qtype = pending
        if future.done():
            return
        try:
            _, is_response, question, answered_type = wire.read_question(data)
        except wire.WireError as exc:
            future.set_exception(exc)
            return
        if not is_response or question.lower() != qname or answered_type != qtype:
            return  # not a reply to our question: keep waiting for one
        future.set_result(data)

    def error_received(self, exc) -> None:
        pass  # an ICMP error names no query; the query it concerns times out instead

    def connection_lost(self, exc) -> None:
        for future, _, _ in list(self._pending.values()):
            if not future.done():
                future.set_exception(exc or ConnectionError("socket closed"))
