"""DNS evidence and the scanner's own stub resolver.

Every query goes to the nameservers named in the configuration, never to whatever
the operating system or dnspython would pick by default: the lab and the tests
depend on that, and so does an advisor who wants a scan to use one resolver.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import secrets
import socket
import zlib
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

_MAX_CNAME_CHAIN = 8  # CNAME records followed inside one answer; more is an ERROR answer
# Outcomes that a later lookup may ask again (once); the others are definite answers.
_ASK_AGAIN = frozenset({SERVFAIL, TIMEOUT, ERROR})


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
    if rcode not in (NOERROR, NXDOMAIN):
        return _server_error(name, rdtype, rcode)
    authenticated = bool(reply.flags & dns.flags.AD)
    wanted_type = dns.rdatatype.from_text(rdtype)
    follow = wanted_type != dns.rdatatype.CNAME

    def cname_at(owner):
        cname = _find(reply, owner, dns.rdatatype.CNAME) if follow else None
        return cname[0].target if cname else None

    rrset, owner, canonical, problem = _follow_cnames(
        dns.name.from_text(name), lambda owner: _find(reply, owner, wanted_type), cname_at,
        lambda owner: normalise_name(owner.to_text()))
    if problem:
        return DnsAnswer(name, rdtype, ERROR, error=problem)
    if rrset is None:
        return DnsAnswer(name, rdtype, rcode, (), None, canonical, authenticated)
    sigs = _find(reply, owner, dns.rdatatype.RRSIG, covers=wanted_type)
    records = tuple(sorted(_record_text(r) for r in rrset))
    return DnsAnswer(name, rdtype, NOERROR, records, None, canonical, authenticated, rrset, sigs)


def answer_from_reply(name: str, rdtype: str, qtype: int, reply: wire.Reply) -> DnsAnswer:
    """Evidence from a reply read by the compact codec, following a CNAME chain."""
    rcode = reply.rcode
    if rcode not in (NOERROR, NXDOMAIN):
        return _server_error(name, rdtype, rcode)
    answers = reply.records  # (owner, type, text), names in the codec's (escaped) form

    def records_at(owner):
        return sorted([text for at, rtype, text in answers if at == owner and rtype == qtype])

    def cname_at(owner):
        if qtype != 5:
            for at, rtype, text in answers:
                if rtype == 5 and at == owner:
                    return text
        return None

    found, _, canonical, problem = _follow_cnames(
        wire.read_name(reply.question, 0)[0], records_at, cname_at, str)
    if problem:
        return DnsAnswer(name, rdtype, ERROR, error=problem)
    return DnsAnswer(name, rdtype, NOERROR if found else rcode, tuple(found or ()), None,
                     canonical, reply.authenticated)


def _server_error(name: str, rdtype: str, rcode: str) -> DnsAnswer:
    known = rcode if rcode in (SERVFAIL, REFUSED) else ERROR
    return DnsAnswer(name, rdtype, known, error=f"server answered {rcode}")


def _follow_cnames(start, records_at, cname_at, show):
    """Walk a CNAME chain inside one answer section, from the queried name.

    ``records_at(owner)`` gives the wanted records at a name (empty or None if none),
    ``cname_at(owner)`` the target of its CNAME (None if none, or if CNAMEs are what was
    asked), ``show(owner)`` a name as text. Returns (the records found or None, the name they
    were found at, the chain's last target or None, why the chain is unusable or None):
    a loop, or more than _MAX_CNAME_CHAIN CNAMEs, makes the answer an ERROR.
    """
    chain = [start]
    owner = start
    while True:
        found = records_at(owner)
        if found:
            break
        target = cname_at(owner)
        if target is None:
            found = None
            break
        if target in chain:
            return None, owner, None, f"the CNAME chain loops back to {show(target)}"
        if len(chain) > _MAX_CNAME_CHAIN:
            return None, owner, None, (f"the CNAME chain from {show(start)} is longer than "
                                       f"{_MAX_CNAME_CHAIN} records")
        chain.append(target)
        owner = target
    return found, owner, show(owner) if len(chain) > 1 else None, None


def _find(reply, qname, rdtype, covers=dns.rdatatype.NONE):
    for rrset in reply.answer:
        if rrset.name == qname and rrset.rdtype == rdtype and rrset.covers == covers:
            return rrset
    return None


def _describe(exc: BaseException) -> str:
    """A failure in plain words, for DnsAnswer.error."""
    if isinstance(exc, EOFError):
        return "the server closed the connection without answering"
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused"
    text = str(exc)
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


class DnsClient:
    """A small stub resolver that asks configured nameservers and remembers each answer.

    One client serves a whole batch of domains, so a name many domains share (an
    SPF include, an MX host, a parent zone's keys) is asked once; concurrent askers
    of the same name wait for the same query. Plain lookups use the compact codec in
    `wire` over a small pool of UDP sockets; DNSSEC lookups and truncated answers go
    through dnspython (over TCP for the latter).

    Every lookup ends in a `DnsAnswer`, never an exception: a failure is an answer with
    rcode TIMEOUT (nothing usable came back in time) or ERROR, and an error text.

    Which server is asked first is a stable hash of the name (then the next one on each
    retry), so when resolvers disagree a name gets the same answer run after run.

    What is kept for the batch:
    - Definite answers (NOERROR, NXDOMAIN, REFUSED) are kept and shared.
    - A failure (SERVFAIL, TIMEOUT, ERROR) is shared by everyone who asked while it was in
      flight; a lookup made after it finished asks once more (once per name, type and
      server), and that second result is kept whatever it is. So a dead server costs each
      name at most two rounds of attempts, not one per domain that needs the name.
    - At most about MAX_CACHED answers: beyond that the oldest finished ones are forgotten,
      a tenth at a time (a later lookup asks again). Queries still in flight are never
      forgotten, so concurrent askers keep sharing them.

    Call `close()` (or `await aclose()`) when the batch is done: it closes the sockets.
    """

    MAX_CACHED = 200_000

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
        self._answers: dict[tuple, asyncio.Task[DnsAnswer]] = {}  # oldest first
        self._asked_again: set[tuple] = set()  # keys whose failure was already asked again
        self._evict_at = self.MAX_CACHED
        self._slots = asyncio.Semaphore(max_in_flight)
        self._udp = _UdpPool()

    async def lookup(
        self, name: str, rdtype: str, *, dnssec: bool = False,
        server: tuple[str, int] | None = None,
    ) -> DnsAnswer:
        """The answer for (name, rdtype), asked once per client (a failure at most twice).

        ``server`` asks one given server (say, a domain's own nameserver) instead of the
        configured resolvers; the caller is responsible for having checked that address.
        """
        task = self.prefetch(name, rdtype, dnssec=dnssec, server=server)
        if task.done():
            return task.result()
        return await asyncio.shield(task)

    async def addresses(self, host: str) -> tuple[tuple[str, ...], str | None]:
        """A host's IPv4 and IPv6 addresses (asked together), and, when there are none, the
        reason if that is a failed lookup rather than a definite "no address"."""
        a, aaaa = await asyncio.gather(self.lookup(host, "A"), self.lookup(host, "AAAA"))
        found = a.records + aaaa.records
        if found:
            return found, None
        broken = [x for x in (a, aaaa) if not x.ok]
        if broken:
            return (), "; ".join(f"{x.rdtype}: {x.error or x.rcode}" for x in broken)
        return (), None

    def prefetch(self, name: str, rdtype: str, *, dnssec: bool = False,
                 server: tuple[str, int] | None = None) -> asyncio.Task[DnsAnswer]:
        """Start the query now (if not asked yet) and return its task; `lookup` awaits it."""
        key = (normalise_name(name), rdtype.upper(), dnssec, server)
        answers = self._answers
        task = answers.get(key)
        if task is not None:
            if not task.done():
                return task
            if not task.cancelled():  # (cancelled only if its event loop went away)
                if task.result().rcode not in _ASK_AGAIN or key in self._asked_again:
                    return task
                self._asked_again.add(key)  # a finished failure: ask once more (see above)
            del answers[key]  # and keep the new answer as the newest
        # The query runs on its own, so one asker giving up never cancels it for others.
        task = asyncio.ensure_future(self._ask(*key))
        answers[key] = task
        if len(answers) > self._evict_at:
            self._evict()
        return task

    def close(self) -> None:
        """Close the sockets (queries in flight fail; later lookups answer ERROR)."""
        self._udp.close()

    async def aclose(self) -> None:
        """`close()`, then let the event loop finish closing the sockets."""
        self.close()
        await asyncio.sleep(0)

    def _evict(self) -> None:
        """Forget the oldest finished answers, down to nine tenths of MAX_CACHED."""
        answers = self._answers
        excess = len(answers) - (self.MAX_CACHED - self.MAX_CACHED // 10)
        victims = []
        for key, task in answers.items():
            if len(victims) >= excess:
                break
            if task.done():
                victims.append(key)
        for key in victims:
            del answers[key]
            self._asked_again.discard(key)
        # Queries in flight may hold the size up: scan again only after another tenth, so
        # eviction costs little per lookup.
        self._evict_at = max(self.MAX_CACHED, len(answers) + self.MAX_CACHED // 10)

    async def _ask(self, name: str, rdtype: str, dnssec: bool, server) -> DnsAnswer:
        """Ask the servers in turn. Never raises: the task is shared by every asker of the
        name, so an exception would reach all of them; any failure becomes an answer."""
        try:
            return await self._ask_servers(name, rdtype, dnssec, server)
        except Exception as exc:
            return DnsAnswer(name, rdtype, ERROR, error=f"the query failed: {_describe(exc)}")

    async def _ask_servers(self, name: str, rdtype: str, dnssec: bool, server) -> DnsAnswer:
        qtype = wire.TYPES.get(rdtype) or wire.DNSSEC_TYPES.get(rdtype)
        try:
            qname = wire.encode_name(name)
            if qtype is None:
                qtype = dns.rdatatype.from_text(rdtype)
        except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
            return DnsAnswer(name, rdtype, ERROR, error=f"not a valid DNS query: {exc}")
        servers = (server,) if server else self.nameservers
        first = zlib.crc32(qname) % len(servers)  # stable: the same server for the same name
        last_error, timed_out = "no nameserver answered", False
        for attempt in range(self.attempts):
            host, port = servers[(first + attempt) % len(servers)]
            async with self._slots:
                self.queries_sent += 1
                try:
                    answer = await self._exchange(name, rdtype, qname, qtype, dnssec, host, port)
                except _NoAnswer as exc:
                    timed_out = not exc.ignored
                    last_error = f"no answer from {host} within {self.timeout:g} s"
                    if exc.ignored:
                        last_error = (f"no usable answer from {host} within {self.timeout:g} s"
                                      f" ({exc.ignored} malformed or mismatched replies ignored)")
                    continue
                except (dns.exception.Timeout, TimeoutError):
                    timed_out = True
                    last_error = f"no answer from {host} within {self.timeout:g} s"
                    continue
                except Exception as exc:
                    timed_out = False
                    last_error = f"bad answer from {host}: {_describe(exc)}"
                    continue
            if answer.rcode in (SERVFAIL, REFUSED) and attempt + 1 < self.attempts:
                last_error, timed_out = answer.error or last_error, False
                continue
            return answer
        return DnsAnswer(name, rdtype, TIMEOUT if timed_out else ERROR, error=last_error)

    async def _exchange(self, name: str, rdtype: str, qname: bytes, qtype: int, dnssec: bool,
                        host: str, port: int) -> DnsAnswer:
        if not dnssec and rdtype in wire.TYPES:
            reply = await self._udp.exchange(host, port, qname, qtype, dnssec, _read_plain,
                                             self.timeout)
            if reply is not _TRUNCATED:
                return answer_from_reply(name, rdtype, qtype, reply)
        else:
            message = await self._udp.exchange(host, port, qname, qtype, dnssec, _read_message,
                                               self.timeout)
            if message is not _TRUNCATED:
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


_TRUNCATED = object()  # a UDP reply with TC set: ask over TCP


def _read_plain(data: bytes):
    """A UDP reply read by the compact codec (raises if malformed)."""
    return _TRUNCATED if data[2] & 0x02 else wire.parse_reply(data)


def _read_message(data: bytes):
    """A UDP reply read by dnspython, for DNSSEC (raises if malformed)."""
    import dns.message

    return _TRUNCATED if data[2] & 0x02 else dns.message.from_wire(data)


@functools.lru_cache(maxsize=1024)
def _canonical_host(host: str) -> str:
    """An address as the kernel reports a reply's source: "0:0::1" -> "::1", and an
    IPv4-mapped address as IPv4 (asked over IPv4)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


class _NoAnswer(Exception):
    """Nothing usable came back in time; ``ignored`` replies matched id and source only."""

    def __init__(self, ignored: int):
        super().__init__(ignored)
        self.ignored = ignored


class _UdpPool:
    """A few long-lived UDP sockets shared by all queries; far cheaper than a socket per
    query. Replies are matched by id, source address and question.

    Off-path spoofing: a forged reply must guess the query id (16 bits from `secrets`) and
    the source port (one of SOCKETS sockets, also chosen with `secrets`), and repeat the
    question. A datagram that matches id and source but is not a usable reply to our question
    is ignored and the query keeps waiting, so a forged packet cannot fail a query.
    Each socket is replaced after ROTATE_AFTER queries (the old one closes as soon as its
    last query is done), so a source port that leaked stops being useful.

    Each slot's socket is made once, under a lock, however many queries find it empty at
    the same time; `close()` closes every socket, retired ones included.
    """

    SOCKETS = 8
    ROTATE_AFTER = 1000

    def __init__(self):
        self._slots: dict[int, list[_UdpSocket | None]] = {}  # by address family
        self._open: set[_UdpSocket] = set()  # every socket not closed yet
        self._lock = asyncio.Lock()
        self._closed = False

    async def exchange(self, host: str, port: int, qname: bytes, qtype: int, dnssec: bool,
                       read, timeout: float):
        """Send one query; return ``read(reply)`` for the first reply to exactly that
        question that ``read`` accepts. Raises _NoAnswer after ``timeout``."""
        address = (_canonical_host(host), port)  # as replies will come from it
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        slots = self._slots.get(family)
        if slots is None:
            slots = self._slots[family] = [None] * self.SOCKETS
        index = secrets.randbelow(self.SOCKETS)
        sock = slots[index]
        if sock is None or not sock.usable(self.ROTATE_AFTER):
            sock = await self._renew(family, slots, index)
        return await sock.exchange(address, qname, qtype, dnssec, read, timeout)

    async def _renew(self, family: int, slots: list, index: int) -> _UdpSocket:
        async with self._lock:
            if self._closed:
                raise ConnectionError("the DNS client is closed")
            sock = slots[index]
            if sock is not None:
                if sock.usable(self.ROTATE_AFTER):
                    return sock  # another query made it while this one waited
                sock.retire()
                slots[index] = None
            loop = asyncio.get_running_loop()
            local = ("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0)
            transport, sock = await loop.create_datagram_endpoint(
                lambda: _UdpSocket(self._open), local_addr=local, family=family)
            if self._closed:  # closed while the socket was being made
                transport.close()
                raise ConnectionError("the DNS client is closed")
            with contextlib.suppress(OSError):  # bursts of replies must not overflow it
                transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET,
                                                              socket.SO_RCVBUF, 1 << 20)
            slots[index] = sock
            return sock

    def close(self) -> None:
        self._closed = True
        for sock in list(self._open):
            sock.transport.close()
        self._slots.clear()


class _Waiter:
    __slots__ = ("future", "ignored", "qname", "qtype", "read")

    def __init__(self, future: asyncio.Future, qname: bytes, qtype: int, read):
        self.future = future
        self.qname = qname
        self.qtype = qtype
        self.read = read
        self.ignored = 0


class _UdpSocket(asyncio.DatagramProtocol):
    def __init__(self, registry: set[_UdpSocket]):
        self.transport = None
        self.sent = 0  # queries sent from this socket
        self.retired = False  # replaced in its slot: close once no query is pending
        self._registry = registry
        self._pending: dict[tuple, _Waiter] = {}

    def connection_made(self, transport):
        self.transport = transport
        self._registry.add(self)

    def usable(self, limit: int) -> bool:
        return self.sent < limit and not self.transport.is_closing()

    def retire(self) -> None:
        self.retired = True
        if not self._pending:
            self.transport.close()

    async def exchange(self, address: tuple[str, int], qname: bytes, qtype: int, dnssec: bool,
                       read, timeout: float):
        pending = self._pending
        for _ in range(64):
            qid = secrets.randbits(16)
            key = (qid, address)
            if key not in pending:
                break
        else:  # only with tens of thousands of queries in flight to one server
            raise ConnectionError("no free query id")
        waiter = _Waiter(asyncio.get_running_loop().create_future(), qname.lower(), qtype, read)
        pending[key] = waiter
        self.sent += 1
        try:
            self.transport.sendto(wire.build_query(qid, qname, qtype, dnssec=dnssec), address)
            async with asyncio.timeout(timeout):
                return await waiter.future
        except TimeoutError:
            raise _NoAnswer(waiter.ignored) from None
        finally:
            del pending[key]
            if self.retired and not pending:
                self.transport.close()

    def datagram_received(self, data: bytes, addr) -> None:
        waiter = self._pending.get((int.from_bytes(data[:2], "big"), (addr[0], addr[1])))
        if waiter is None or waiter.future.done():
            return  # not ours, or too late
        try:
            _, is_response, question, answered_type = wire.read_question(data)
            if is_response and answered_type == waiter.qtype and question.lower() == waiter.qname:
                waiter.future.set_result(waiter.read(data))
                return
        except Exception:
            pass  # malformed, maybe forged: no reason to fail the query
        waiter.ignored += 1  # not a usable reply to our question: keep waiting for one

    def error_received(self, exc) -> None:
        pass  # an ICMP error names no query; the query it concerns times out instead

    def connection_lost(self, exc) -> None:
        self._registry.discard(self)
        for waiter in self._pending.values():
            if not waiter.future.done():
                waiter.future.set_exception(exc or ConnectionError("socket closed"))
