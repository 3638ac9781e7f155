"""The DNS client's failure handling, socket pool, cache and server choice, against small
scripted servers on loopback (and the lab's DNS server where its faults fit)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections import Counter

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest
from typer.testing import CliRunner

from cyberbasics.config import ScanConfig, parse_nameserver
from cyberbasics.lab.dns_server import LabDnsServer
from cyberbasics.lab.zones import LabZoneSet, ZoneSpec
from cyberbasics.net import dns as dns_module
from cyberbasics.net import wire
from cyberbasics.net.dns import DnsClient, answer_from_message, answer_from_reply
from cyberbasics.scan.gather import ScanSession

# A scripted server: a handler gets each query and returns [(reply bytes, delay), ...].


class _Scripted(asyncio.DatagramProtocol):
    def __init__(self, handler):
        self.handler = handler
        self.transport = None
        self.asked: Counter[str] = Counter()  # queries received, by name

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        query = dns.message.from_wire(data)
        self.asked[query.question[0].name.to_text(omit_final_dot=True).lower()] += 1
        loop = asyncio.get_running_loop()
        for reply, delay in self.handler(query, data):
            loop.call_later(delay, self.transport.sendto, reply, addr)


async def _read_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    """A TCP side that reads one query and closes without answering."""
    with contextlib.suppress(Exception):
        length = await reader.readexactly(2)
        await reader.readexactly(int.from_bytes(length, "big"))
    writer.close()


@contextlib.asynccontextmanager
async def scripted(handler, *, host="127.0.0.1", tcp_closes=False):
    loop = asyncio.get_running_loop()
    for _ in range(20):
        transport, server = await loop.create_datagram_endpoint(lambda: _Scripted(handler),
                                                                local_addr=(host, 0))
        port = transport.get_extra_info("sockname")[1]
        tcp = None
        if tcp_closes:
            try:
                tcp = await asyncio.start_server(_read_then_close, host, port)
            except OSError:
                transport.close()
                continue
        break
    try:
        yield server, (host, port)
    finally:
        transport.close()
        if tcp is not None:
            tcp.close()
            await tcp.wait_closed()


def reply(query, *records, rcode=dns.rcode.NOERROR, flags=0) -> bytes:
    """A response to ``query`` with records given as (owner, type, text)."""
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    response.flags |= flags
    for owner, rtype, text in records:
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", rtype, text))
    return response.to_wire()


def address_for(query, _data=None, *, address="192.0.2.1"):
    """An A answer to any query for an A record, no data otherwise."""
    name = query.question[0].name.to_text()
    if query.question[0].rdtype == dns.rdatatype.A:
        return [(reply(query, (name, "A", address)), 0)]
    return [(reply(query), 0)]


# 1. _ask never raises


async def test_tcp_server_closing_after_truncation_is_an_error_answer():
    def truncate(query, _):
        return [(reply(query, flags=dns.flags.TC), 0)]

    async with scripted(truncate, tcp_closes=True) as (_, address):
        client = DnsClient([address], timeout=1, attempts=1)
        for rdtype, dnssec in (("A", False), ("DNSKEY", True)):
            answers = await asyncio.gather(
                *(client.lookup("example.com", rdtype, dnssec=dnssec) for _ in range(3)))
            again = await client.lookup("example.com", rdtype, dnssec=dnssec)
            for answer in [*answers, again]:
                assert answer.rcode == "ERROR"
                assert "closed the connection" in answer.error
        await client.aclose()


async def test_any_unexpected_failure_becomes_an_answer(monkeypatch):
    client = DnsClient([("127.0.0.1", 9)], timeout=0.2, attempts=2)

    async def explode(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(client, "_exchange", explode)
    answer = await client.lookup("example.com", "A")
    assert answer.rcode == "ERROR" and "boom" in answer.error
    assert client.queries_sent == 2


async def test_timeout_and_error_are_told_apart_by_what_happened(monkeypatch):
    client = DnsClient([("127.0.0.1", 9)], timeout=0.2, attempts=1)

    async def odd_failure(*args):
        raise ValueError("not within the rules")

    monkeypatch.setattr(client, "_exchange", odd_failure)
    answer = await client.lookup("example.com", "A")
    assert answer.rcode == "ERROR" and "within the rules" in answer.error


# 2. the socket pool


@pytest.fixture
def endpoints(monkeypatch):
    """Every UDP endpoint the client makes from now on (call after starting servers)."""
    made = []

    def start():
        loop = asyncio.get_running_loop()
        real = loop.create_datagram_endpoint

        async def counting(*args, **kwargs):
            transport, protocol = await real(*args, **kwargs)
            made.append(transport)
            return transport, protocol

        monkeypatch.setattr(loop, "create_datagram_endpoint", counting)
        return made

    return start


async def test_a_burst_makes_each_socket_once(endpoints):
    async with scripted(address_for) as (_, address):
        made = endpoints()
        client = DnsClient([address], timeout=2)
        answers = await asyncio.gather(*(client.lookup(f"n{i}.example", "A")
                                         for i in range(200)))
        assert all(a.records == ("192.0.2.1",) for a in answers)
        assert 1 <= len(made) <= 8
        await client.aclose()
        assert all(t.is_closing() for t in made)


async def test_sockets_are_replaced_after_some_queries(endpoints):
    def slowly(query, data):
        return [(r, 0.02) for r, _ in address_for(query, address="192.0.2.7")]

    async with scripted(slowly) as (_, address):
        made = endpoints()
        client = DnsClient([address], timeout=2)
        client._udp.ROTATE_AFTER = 3
        # Concurrent queries: retired sockets must stay open for the queries still on them.
        answers = await asyncio.gather(*(client.lookup(f"n{i}.example", "A")
                                         for i in range(60)))
        assert all(a.records == ("192.0.2.7",) for a in answers)
        for i in range(30):
            assert (await client.lookup(f"m{i}.example", "A")).records == ("192.0.2.7",)
        await asyncio.sleep(0)
        assert len(made) >= 90 // 3
        assert sum(not t.is_closing() for t in made) <= 8  # retired ones are closed
        await client.aclose()
        assert all(t.is_closing() for t in made)


async def test_a_closed_client_answers_error():
    async with scripted(address_for) as (_, address):
        client = DnsClient([address], timeout=1, attempts=1)
        assert (await client.lookup("a.example", "A")).ok
        client.close()
        client.close()  # twice is fine
        answer = await client.lookup("b.example", "A")
        assert answer.rcode == "ERROR" and "closed" in answer.error


async def test_a_scan_session_closes_the_client_it_made(endpoints):
    async with scripted(address_for) as (_, address):
        made = endpoints()
        session = ScanSession(ScanConfig(nameservers=(address,), timeout=1))
        assert (await session.dns.lookup("a.example", "A")).ok
        await session.aclose()
        assert made and all(t.is_closing() for t in made)

        client = DnsClient([address], timeout=1)
        session = ScanSession(ScanConfig(nameservers=(address,), timeout=1), dns=client)
        await session.aclose()
        assert (await client.lookup("b.example", "A")).ok  # not its client: still open
        await client.aclose()


def test_spf_check_closes_its_client(world, monkeypatch):
    from cyberbasics.cli.main import app

    closed = []
    real = DnsClient.aclose

    async def aclose(self):
        closed.append(self)
        await real(self)

    monkeypatch.setattr(DnsClient, "aclose", aclose)
    result = CliRunner().invoke(app, [
        "spf", "check", "--ip", "192.0.2.1", "--sender", "billing@bakery.example",
        "--helo", "x.example", "--nameserver", f"{world.dns.host}:{world.dns.port}", "--lab"])
    assert result.exit_code == 0, result.output
    assert len(closed) == 1


# 3. spoofing resistance


def _garbage_then_answer(kind):
    def handler(query, data):
        real = reply(query, (query.question[0].name.to_text(), "A", "192.0.2.9"))
        if kind == "random":
            forged = data[:2] + bytes(range(40))
        elif kind == "bad record":  # header and question fine, the answer record cut short
            response = dns.message.make_response(query)
            response.use_edns(False)
            response.answer.append(dns.rrset.from_text(query.question[0].name, 60, "IN", "A",
                                                       "192.0.2.66"))
            forged = response.to_wire()[:-3]
        elif kind == "not a response":
            forged = data
        else:  # another question
            forged = reply(dns.message.make_query("other.example", "A"))
            forged = data[:2] + forged[2:]
        return [(forged, 0), (real, 0.05)]

    return handler


@pytest.mark.parametrize("dnssec", [False, True])
@pytest.mark.parametrize("kind", ["random", "bad record", "not a response", "other question"])
async def test_a_forged_reply_cannot_fail_a_query(kind, dnssec):
    async with scripted(_garbage_then_answer(kind)) as (_, address):
        client = DnsClient([address], timeout=1, attempts=1)
        answer = await client.lookup("spoofed.example", "A", dnssec=dnssec)
        assert (answer.rcode, answer.records) == ("NOERROR", ("192.0.2.9",))
        await client.aclose()


async def test_only_malformed_replies_is_an_error_after_the_timeout():
    zones = LabZoneSet([ZoneSpec("example.com", {"example.com": [("A", "127.0.0.5")]})])
    async with LabDnsServer(zones, faults={"junk.example.com": "garbage"}) as server:
        client = DnsClient([server.address], timeout=0.2, attempts=1)
        answer = await client.lookup("junk.example.com", "A")
        assert answer.rcode == "ERROR" and "ignored" in answer.error
        await client.aclose()


async def test_ids_and_sockets_do_not_come_from_the_random_module(monkeypatch):
    def predictable(*args):
        raise AssertionError("the random module is predictable: use secrets")

    for function in ("getrandbits", "randrange", "randint", "choice", "random"):
        monkeypatch.setattr(random, function, predictable)
    async with scripted(address_for) as (_, address):
        client = DnsClient([address, address], timeout=1, attempts=1)
        assert (await client.lookup("a.example", "A")).records == ("192.0.2.1",)
        await client.aclose()


# 4. failures are not kept for the whole batch


async def test_a_finished_failure_is_asked_once_more():
    seen = Counter()

    def first_dropped(query, _):
        seen[query.question[0].name] += 1
        return [] if seen[query.question[0].name] == 1 else address_for(query)

    async with scripted(first_dropped) as (server, address):
        client = DnsClient([address], timeout=0.2, attempts=1)
        concurrent = await asyncio.gather(*(client.lookup("flaky.example", "A")
                                            for _ in range(5)))
        assert {a.rcode for a in concurrent} == {"TIMEOUT"}
        assert server.asked["flaky.example"] == 1  # shared while in flight
        later = await client.lookup("flaky.example", "A")
        assert later.records == ("192.0.2.1",) and server.asked["flaky.example"] == 2
        assert (await client.lookup("flaky.example", "A")) == later
        assert server.asked["flaky.example"] == 2
        await client.aclose()


async def test_a_failure_is_asked_again_at_most_once():
    def servfail(query, _):
        return [(reply(query, rcode=dns.rcode.SERVFAIL), 0)]

    async with scripted(servfail) as (server, address):
        client = DnsClient([address], timeout=0.5, attempts=1)
        for expected_queries in (1, 2, 2, 2):
            assert (await client.lookup("bad.example", "A")).rcode == "SERVFAIL"
            assert server.asked["bad.example"] == expected_queries
        await client.aclose()


async def test_a_cancelled_query_is_asked_again():
    async with scripted(address_for) as (_, address):
        client = DnsClient([address], timeout=1, attempts=1)
        task = client.prefetch("a.example", "A")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert (await client.lookup("a.example", "A")).records == ("192.0.2.1",)
        await client.aclose()


async def test_definite_answers_stay_cached():
    def definite(query, _):
        name = query.question[0].name.to_text(omit_final_dot=True)
        rcode = {"gone.example": dns.rcode.NXDOMAIN, "no.example": dns.rcode.REFUSED}
        return [(reply(query, rcode=rcode.get(name, dns.rcode.NOERROR)), 0)]

    async with scripted(definite) as (server, address):
        client = DnsClient([address], timeout=0.5, attempts=1)
        for _ in range(3):
            assert (await client.lookup("gone.example", "A")).rcode == "NXDOMAIN"
            assert (await client.lookup("no.example", "A")).rcode == "REFUSED"
            assert (await client.lookup("empty.example", "A")).rcode == "NOERROR"
        assert server.asked == {"gone.example": 1, "no.example": 1, "empty.example": 1}
        await client.aclose()


# 5. which server is asked


async def test_the_server_asked_first_depends_only_on_the_name():
    names = [f"n{i}.example" for i in range(20)]

    def first(query, _):
        return address_for(query, address="192.0.2.1")

    def second(query, _):
        return address_for(query, address="192.0.2.2")

    async with scripted(first) as (_, one), scripted(second) as (_, two):
        runs = []
        for _ in range(4):
            client = DnsClient([one, two], timeout=1, attempts=1)
            runs.append([(await client.lookup(n, "A")).records for n in names])
            await client.aclose()
        assert all(run == runs[0] for run in runs)
        assert {records for records in runs[0]} == {("192.0.2.1",), ("192.0.2.2",)}


async def test_a_retry_asks_the_next_server():
    async with scripted(lambda q, d: []) as (_, dead), scripted(address_for) as (_, alive):
        client = DnsClient([dead, alive], timeout=0.2, attempts=2)
        answers = await asyncio.gather(*(client.lookup(f"n{i}.example", "A")
                                         for i in range(10)))
        assert all(a.records == ("192.0.2.1",) for a in answers)
        await client.aclose()


# 6. IPv6 nameservers in any spelling


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
async def test_an_ipv6_nameserver_written_in_full():
    async with scripted(address_for, host="::1") as (_, (_, port)):
        host, parsed_port = parse_nameserver(f"[0:0:0:0:0:0:0:1]:{port}")
        assert (host, parsed_port) == ("::1", port)
        for server in (("0:0:0:0:0:0:0:1", port), ("::1", port), ("0::1", port)):
            client = DnsClient([server], timeout=1, attempts=1)
            assert (await client.lookup("v6.example", "A")).records == ("192.0.2.1",)
            await client.aclose()


async def test_an_ipv4_mapped_nameserver():
    async with scripted(address_for) as (_, (_, port)):
        client = DnsClient([("::ffff:127.0.0.1", port)], timeout=1, attempts=1)
        assert (await client.lookup("mapped.example", "A")).records == ("192.0.2.1",)
        await client.aclose()


# 7. CNAME chains, read the same way by both readers


def _both(name, rdtype, records, rcode=dns.rcode.NOERROR):
    response = dns.message.make_response(dns.message.make_query(name, rdtype))
    response.set_rcode(rcode)
    for owner, rtype, text in records:
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", rtype, text))
    from_message = answer_from_message(name, rdtype, response)
    from_reply = answer_from_reply(name, rdtype, wire.TYPES[rdtype],
                                   wire.parse_reply(response.to_wire()))
    assert from_message == from_reply
    return from_message


def _chain(length, final=("A", "192.0.2.1")):
    names = [f"c{i}.example." for i in range(length + 1)]
    records = [(names[i], "CNAME", names[i + 1]) for i in range(length)]
    return [*records, (names[-1], *final)] if final else records


def test_a_chain_of_eight_cnames_is_followed():
    answer = _both("c0.example", "A", _chain(8))
    assert (answer.rcode, answer.records, answer.canonical_name) == (
        "NOERROR", ("192.0.2.1",), "c8.example")


def test_a_chain_of_nine_cnames_is_an_error():
    answer = _both("c0.example", "A", _chain(9))
    assert answer.rcode == "ERROR" and "longer than 8" in answer.error
    assert not answer.ok


@pytest.mark.parametrize("loop", [
    [("a.example.", "CNAME", "b.example."), ("b.example.", "CNAME", "a.example.")],
    [("a.example.", "CNAME", "a.example.")],
])
def test_a_cname_loop_is_an_error(loop):
    answer = _both("a.example", "TXT", loop)
    assert answer.rcode == "ERROR" and "loops back to a.example" in answer.error


def test_short_chains_still_read_as_before():
    nodata = _both("c0.example", "A", _chain(2, final=None))
    assert (nodata.rcode, nodata.records, nodata.canonical_name) == ("NOERROR", (), "c2.example")
    gone = _both("c0.example", "A", _chain(1, final=None), rcode=dns.rcode.NXDOMAIN)
    assert (gone.rcode, gone.canonical_name) == ("NXDOMAIN", "c1.example")
    asked = _both("c0.example", "CNAME", _chain(3))
    assert (asked.records, asked.canonical_name) == (("c1.example",), None)
    plain = _both("c0.example", "MX", [("c0.example.", "MX", "10 mx.example.")])
    assert (plain.records, plain.canonical_name) == (("10 mx.example",), None)


# 8. the cache is bounded


async def test_the_cache_forgets_the_oldest_finished_answers(monkeypatch):
    monkeypatch.setattr(DnsClient, "MAX_CACHED", 20)

    def slow_or_not(query, _):
        slow = query.question[0].name.to_text().startswith("slow")
        return [(r, 0.5 if slow else 0) for r, _ in address_for(query)]

    async with scripted(slow_or_not) as (server, address):
        client = DnsClient([address], timeout=2, attempts=1)
        in_flight = client.prefetch("slow.example", "A")  # the oldest entry, still running
        for i in range(100):
            assert (await client.lookup(f"n{i}.example", "A")).ok
            assert len(client._answers) <= 21
        assert client.prefetch("slow.example", "A") is in_flight  # still shared
        assert (await client.lookup("slow.example", "A")).ok
        assert server.asked["slow.example"] == 1
        assert (await client.lookup("n99.example", "A")).ok  # recent: still kept
        assert server.asked["n99.example"] == 1
        assert (await client.lookup("n0.example", "A")).ok  # forgotten: asked again
        assert server.asked["n0.example"] == 2
        await client.aclose()


def test_the_default_cache_bound():
    assert DnsClient.MAX_CACHED == 200_000
    assert dns_module._UdpPool.SOCKETS == 8
