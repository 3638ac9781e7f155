"""The compact DNS codec must read exactly what dnspython reads, and never crash."""

import contextlib

import dns.flags
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rrset
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cyberbasics.net import wire
from cyberbasics.net.dns import _record_text, normalise_name

label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=20)
names = st.lists(label, min_size=1, max_size=4).map(lambda ls: ".".join(ls) + ".example.")
octet = st.integers(0, 255)
ipv4 = st.tuples(octet, octet, octet, octet).map(lambda t: ".".join(map(str, t)))
ipv6 = st.binary(min_size=16, max_size=16).map(
    lambda b: dns.rdata.from_wire("IN", "AAAA", b, 0, 16).address)
txt_string = st.binary(max_size=60).map(
    lambda b: '"' + "".join(f"\\{c:03d}" for c in b) + '"')
rdata_text = st.one_of(
    st.tuples(st.just("A"), ipv4),
    st.tuples(st.just("AAAA"), ipv6),
    st.tuples(st.just("TXT"), st.lists(txt_string, min_size=1, max_size=4).map(" ".join)),
    st.tuples(st.just("MX"), st.tuples(st.integers(0, 65535), names).map(
        lambda t: f"{t[0]} {t[1]}")),
    st.tuples(st.sampled_from(["NS", "CNAME", "PTR"]), names),
    st.tuples(st.just("SOA"), st.tuples(names, names, st.integers(0, 2**32 - 1)).map(
        lambda t: f"{t[0]} {t[1]} {t[2]} 3600 600 86400 300")),
    st.tuples(st.just("CAA"), st.tuples(st.integers(0, 255),
                                        st.sampled_from(["issue", "issuewild", "iodef"]),
                                        st.binary(max_size=40)).map(
        lambda t: f'{t[0]} {t[1]} "' + "".join(f"\\{c:03d}" for c in t[2]) + '"')),
)


def reply_with(owner: str, records: list[tuple[str, str]]) -> bytes:
    query = dns.message.make_query(owner, "A", use_edns=0)
    response = dns.message.make_response(query)
    for rdtype, text in records:
        rdata = dns.rdata.from_text("IN", rdtype, text)
        response.answer.append(dns.rrset.from_rdata(owner, 300, rdata))
    return response.to_wire()


@settings(max_examples=300, deadline=None)
@given(names, st.lists(rdata_text, min_size=1, max_size=6))
def test_records_read_like_dnspython(owner, records):
    singletons = [t for t, _ in records if t in ("SOA", "CNAME")]
    assume(len(singletons) == len(set(singletons)))  # dnspython keeps one of each anyway
    data = reply_with(owner, records)
    reply = wire.parse_reply(data)
    expected = []
    for rrset in dns.message.from_wire(data).answer:
        expected += [(normalise_name(rrset.name.to_text()), rd.rdtype, _record_text(rd))
                     for rd in rrset]
    assert sorted(set(reply.records)) == sorted(set(expected))


@given(names, st.sampled_from(sorted(wire.TYPES)), st.booleans(), st.integers(0, 65535))
def test_queries_read_back_with_dnspython(name, rdtype, dnssec, qid):
    data = wire.build_query(qid, wire.encode_name(name), wire.TYPES[rdtype], dnssec=dnssec)
    message = dns.message.from_wire(data)
    assert message.id == qid
    assert message.question[0].name == dns.name.from_text(name)
    assert dns.rdatatype.to_text(message.question[0].rdtype) == rdtype
    assert message.payload == wire.EDNS_PAYLOAD
    assert bool(message.ednsflags & dns.flags.DO) == dnssec
    assert bool(message.flags & dns.flags.CD) == dnssec
    assert message.flags & dns.flags.RD


@given(st.binary(max_size=600))
def test_garbage_is_rejected_cleanly(data):
    with contextlib.suppress(wire.WireError):
        wire.parse_reply(data)


@settings(max_examples=300)
@given(st.lists(rdata_text, min_size=1, max_size=3), st.data())
def test_mutated_replies_are_rejected_cleanly(records, data):
    message = bytearray(reply_with("shop.example.", records))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(message) - 1))
        message[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(message)))
    with contextlib.suppress(wire.WireError):
        wire.parse_reply(bytes(message[:cut]))


def test_compression_loops_are_caught():
    header = b"\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00"
    with pytest.raises(wire.WireError):
        wire.parse_reply(header + b"\xc0\x0c\x00\x01\x00\x01")


@pytest.mark.parametrize("name", ["a" * 64 + ".example", "x." * 130 + "example", "é.example"])
def test_invalid_names_are_refused_before_sending(name):
    with pytest.raises(ValueError):
        wire.encode_name(name)
