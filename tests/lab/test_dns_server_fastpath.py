"""The lab DNS server's fast path answers exactly as its dnspython path (`_reply_slow`) does.

Differential: many (name, type, DO, EDNS payload, TCP) queries against a signed and an
unsigned zone set, both replies parsed by dnspython and compared (header bytes, question,
answer and authority RRsets as sets, EDNS). Fuzz: random bytes and mutated queries never
raise out of `reply_wire`, and whatever the fast path accepts, it answers as dnspython would.
"""

from __future__ import annotations

import functools
import io
import itertools
import random
import struct

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdatatype
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberbasics.lab.dns_server import _FALLBACK, LabDnsServer
from cyberbasics.lab.zones import LabZoneSet, ZoneSpec

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CHILD = {
    "example.lab": [("MX", "10 mx.example.lab."), ("TXT", '"v=spf1 mx -all"'),
                    ("CAA", '0 issue "ca.lab"')],
    "mx.example.lab": [("A", "127.0.0.5"), ("AAAA", "::1")],
    "www.example.lab": [("CNAME", "host.other.lab.")],  # into another zone
    "alias.example.lab": [("CNAME", "WWW.Example.lab.")],  # a chain of two, in odd case
    "out.example.lab": [("CNAME", "nowhere.invalid.")],  # out of every zone (but the root)
    "loop1.example.lab": [("CNAME", "loop2.example.lab.")],
    "loop2.example.lab": [("CNAME", "loop1.example.lab.")],
    **{f"c{n}.example.lab": [("CNAME", f"c{n + 1}.example.lab.")] for n in range(10)},
    "c10.example.lab": [("TXT", '"end of a chain longer than 8"')],
    "towild.example.lab": [("CNAME", "x.y.wild.example.lab.")],
    "*.wild.example.lab": [("TXT", '"wild"'), ("A", "127.0.0.9")],
    "sub.wild.example.lab": [("A", "127.0.0.10")],
    "a.b.ent.wild.example.lab": [("A", "127.0.0.12")],  # ent.wild and b.ent.wild are ENTs
    "*.cn.example.lab": [("CNAME", "example.lab.")],
    "_dmarc.example.lab": [("TXT", '"v=DMARC1; p=reject"')],
    "x._report._dmarc.example.lab": [("TXT", '"v=DMARC1"')],
    "big.example.lab": [("TXT", " ".join(f'"{"x" * 200}"' for _ in range(12)))],
    "medium.example.lab": [("TXT", " ".join(f'"{"m" * 200}"' for _ in range(3)))],
    # Long in-zone names: compressed, this fits in 1400 bytes; uncompressed, it does not.
    "many.example.lab": [("MX", f"{n} a-rather-long-mail-exchanger-{n:02d}.example.lab.")
                         for n in range(28)],
    "nullmx.example.lab": [("MX", "0 ."), ("TXT", '"v=spf1 -all"')],
    "xn--bcher-kva.example.lab": [("A", "127.0.0.11")],
    "caf\\195\\169.example.lab": [("TXT", '"a raw UTF-8 label"')],
    "Mixed.Case.example.lab": [("TXT", '"case kept"'), ("A", "127.0.0.13")],
    "odd\\.dot.example.lab": [("TXT", '"a dot inside a label"')],
}
PARENT = {"lab": [("TXT", '"the parent"')], "ns.lab": [("A", "127.0.0.53")]}
OTHER = {"host.other.lab": [("A", "127.0.0.20")],
         "deep.other.lab": [("CNAME", "c7.example.lab.")]}

FAULTS = {
    "bad.example.lab": "servfail",
    "mx.example.lab/aaaa": "refused",
    "gone.example.lab": "drop",
    "junk.example.lab": "garbage",
    "tc.example.lab": "truncate",
    "slow.example.lab": "delay:0.25",
    "caf\\195\\169.example.lab/txt": "servfail",
    "Mixed.Case.example.lab/A": "refused",
    "odd\\.dot.example.lab": "delay:0.5",
    "odd.dot.example.lab": "servfail",  # must not catch the name above
}

QUERY_NAMES = [
    *CHILD, *PARENT, *OTHER, *(n for n in FAULTS if "/" not in n),
    "EXAMPLE.LAB", "WwW.example.lab", "mixed.case.EXAMPLE.lab", "CAF\\195\\169.example.lab",
    "nope.example.lab", "x.y.wild.example.lab", "X.Wild.Example.Lab", "x.sub.wild.example.lab",
    "ent.wild.example.lab", "b.ent.wild.example.lab", "q.ent.wild.example.lab",
    "z.cn.example.lab", "_report._dmarc.example.lab", "s1._domainkey.example.lab",
    "other.lab", "nope.other.lab", "nope.lab", ".", "nowhere.invalid", "other.org",
    "xn--bcher-kva.example.lab", "\\042.wild.example.lab",
]
RAW_NAMES = [  # not what from_text makes: a raw UTF-8 label, uppercase non-ASCII bytes
    dns.name.Name((b"b\xc3\xbccher", b"example", b"lab", b"")),
    dns.name.Name((b"\xc3\x89", b"wild", b"example", b"lab", b"")),
]
TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "DS", "DNSKEY", "CNAME", "CAA", "NSEC",
         "RRSIG", "ANY", "TYPE65280"]
# (EDNS payload or None for no EDNS, DO, TCP)
TRANSPORTS = [(None, False, False), (None, False, True), (1232, False, False),
              (1232, True, False), (512, True, False), (1400, True, False),
              (4096, True, False), (1232, True, True), (100, False, False)]


@functools.cache
def zone_set(signed: bool) -> LabZoneSet:
    specs = [ZoneSpec("lab", PARENT, signed=signed),
             ZoneSpec("example.lab", CHILD, signed=signed),
             ZoneSpec("other.lab", OTHER)]  # unsigned below a signed parent: insecure
    if signed:
        specs.append(ZoneSpec(".", {}, signed=True))
    return LabZoneSet(specs)


def server(signed: bool) -> LabDnsServer:
    return LabDnsServer(zone_set(signed), faults=FAULTS)


def query_wire(name, rdtype: str, payload: int | None, do: bool, *, rd: bool = True,
               rdclass: str = "IN", qid: int = 4242) -> bytes:
    if isinstance(name, str):
        name = dns.name.from_text(name)
    query = dns.message.make_query(name, rdtype, rdclass, use_edns=payload is not None,
                                   payload=payload or 1232, want_dnssec=do)
    if not rd:
        query.flags &= ~dns.flags.RD
    query.id = qid
    return query.to_wire()


def _rrsets(section) -> set:
    # Names compare without case: dnspython's compression takes a suffix's case from whichever
    # name it wrote first, so "WWW.Example.lab." may come back as "WWW.example.lab.".
    return {(r.name, r.rdclass, r.rdtype, r.covers, r.ttl, frozenset(r))
            for r in section}


def assert_same(srv: LabDnsServer, wire: bytes, tcp: bool, fast: tuple, slow: tuple) -> None:
    """The fast reply says what the slow one says (names, records, flags, counts)."""
    (fast_wire, fast_delay), (slow_wire, slow_delay) = fast, slow
    assert fast_delay == slow_delay
    if slow_wire is None or fast_wire is None:
        assert fast_wire is slow_wire is None
        return
    query = dns.message.from_wire(wire)
    if srv._fault_for(query.question[0].name, query.question[0].rdtype) == "garbage":
        assert (len(fast_wire), fast_wire[:2]) == (len(slow_wire), slow_wire[:2])
        return
    assert fast_wire[:12] == slow_wire[:12]  # ID, flags, rcode and every section's count
    fast_msg, slow_msg = dns.message.from_wire(fast_wire), dns.message.from_wire(slow_wire)
    assert [(q.name.to_text(), q.rdclass, q.rdtype) for q in fast_msg.question] == \
        [(q.name.to_text(), q.rdclass, q.rdtype) for q in slow_msg.question]
    assert _rrsets(fast_msg.answer) == _rrsets(slow_msg.answer)
    assert _rrsets(fast_msg.authority) == _rrsets(slow_msg.authority)
    assert _rrsets(fast_msg.additional) == _rrsets(slow_msg.additional)
    assert (fast_msg.edns, fast_msg.payload, fast_msg.ednsflags, fast_msg.options) == \
        (slow_msg.edns, slow_msg.payload, slow_msg.ednsflags, slow_msg.options)
    limit = 65535 if tcp else max(512, query.payload if query.edns >= 0 else 512)
    assert len(fast_wire) <= limit


def compare(srv: LabDnsServer, wire: bytes, tcp: bool) -> bool:
    """Compare both paths on one query; True when the fast path answered it itself."""
    fast = srv._reply_fast(wire, tcp)
    if fast is _FALLBACK:
        return False
    assert_same(srv, wire, tcp, fast, srv._reply_slow(wire, tcp=tcp))
    return True


def _too_big_for_uncompressed(srv: LabDnsServer, wire: bytes, tcp: bool) -> bool:
    """Whether the reply, written without compression, exceeds the client's limit: the one
    reason the fast path leaves an ordinary query to dnspython (which compresses, then
    decides whether it fits or sets TC)."""
    reply, _ = srv._reply_slow(wire, tcp=tcp)
    if reply is None:
        return False
    query, response = dns.message.from_wire(wire), dns.message.from_wire(reply)
    if response.flags & dns.flags.TC:
        return True
    question = query.question[0]
    result = srv._resolve(question.name, question.rdtype, bool(query.ednsflags & dns.flags.DO))
    size = 12 + len(question.name.to_wire()) + 4 + (11 if response.edns >= 0 else 0)
    for rrset in (*result.answer, *result.authority):
        out = io.BytesIO()
        rrset.to_wire(out)
        size += len(out.getvalue())
    return size > (65535 if tcp else max(512, query.payload if query.edns >= 0 else 512))


def _all_queries():
    """Every name and type, over every transport for big answers, over two at random for
    the others (all of them would take long for little more)."""
    rng = random.Random(5)
    for name, rdtype in itertools.product([*QUERY_NAMES, *RAW_NAMES], TYPES):
        every = str(name).split(".")[0] in ("big", "medium", "many", "loop1", "c0", "alias")
        for payload, do, tcp in TRANSPORTS if every else rng.sample(TRANSPORTS, 2):
            yield _random_query(rng, name, rdtype, payload, do), tcp


def _random_query(rng: random.Random, name, rdtype: str, payload, do: bool) -> bytes:
    rd = rng.random() < 0.8
    rdclass = "CH" if rng.random() < 0.05 else "IN"
    return query_wire(name, rdtype, payload, do, rd=rd, rdclass=rdclass,
                      qid=rng.randrange(65536))


def test_fast_path_answers_as_dnspython_does_signed_and_unsigned():
    for signed in (True, False):
        srv = server(signed)
        handled = fallbacks_that_fit = total = 0
        for wire, tcp in _all_queries():
            total += 1
            if compare(srv, wire, tcp):
                handled += 1
            else:  # only answers too big for the fast path's uncompressed rendering
                assert _too_big_for_uncompressed(srv, wire, tcp)
                reply, _ = srv._reply_slow(wire, tcp=tcp)
                if not dns.message.from_wire(reply).flags & dns.flags.TC:
                    fallbacks_that_fit += 1
        assert handled > 0.9 * total, (handled, total)  # every fallback checked above
        assert fallbacks_that_fit > 0  # "many": compression made it fit, dnspython decided


def test_the_differential_covers_what_it_claims():
    srv = server(True)

    def ask(name, rdtype, payload=1232, do=True, tcp=False):
        reply, _ = srv.reply_wire(query_wire(name, rdtype, payload, do), tcp=tcp)
        return dns.message.from_wire(reply)

    assert ask("example.lab", "DS").answer[0].name.to_text() == "example.lab."
    assert {r.rdtype for r in ask("example.lab", "DS").answer} == {43, 46}  # from the parent
    www = ask("WWW.example.lab", "A")
    assert [r.name.to_text() for r in www.answer][:1] == ["WWW.example.lab."]  # query's case
    assert any(r.rdtype == 1 and r.name.to_text() == "host.other.lab." for r in www.answer)
    assert ask("x.y.wild.example.lab", "TXT").answer[0].name.to_text() == \
        "x.y.wild.example.lab."
    assert ask("x.sub.wild.example.lab", "TXT").rcode() == dns.rcode.NXDOMAIN
    ent = ask("ent.wild.example.lab", "TXT")
    assert ent.rcode() == dns.rcode.NOERROR and not ent.answer and ent.authority
    assert ask("big.example.lab", "TXT").flags & dns.flags.TC
    assert not ask("big.example.lab", "TXT", tcp=True).flags & dns.flags.TC
    assert ask("medium.example.lab", "TXT", payload=None, do=False).flags & dns.flags.TC
    assert len(ask("c0.example.lab", "TXT").answer) == 8 * 2  # CNAME and RRSIG per link
    assert srv.reply_wire(query_wire("odd\\.dot.example.lab", "TXT", 1232, False),
                          tcp=False)[1] == 0.5  # its own fault, not odd.dot's
    cafe = ask("CAF\\195\\169.example.lab", "TXT")
    assert cafe.rcode() == dns.rcode.SERVFAIL and not cafe.flags & dns.flags.AA
    unsigned = LabDnsServer(zone_set(False))
    reply, _ = unsigned.reply_wire(query_wire("other.org", "A", 1232, False), tcp=False)
    refused = dns.message.from_wire(reply)
    assert refused.rcode() == dns.rcode.REFUSED and refused.flags & dns.flags.AA


def _header(qid=7, flags=0x0100, qd=1, an=0, ns=0, ar=0) -> bytes:
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


_QUESTION = b"\x07example\x03lab\x00\x00\x01\x00\x01"
_OPT = b"\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x00"  # payload 1232, DO
_A_RECORD = b"\x00\x01\x00\x01\x00\x00\x00\x05\x00\x04\x7f\x00\x00\x01"

FAST, SLOW = True, False
ODD_QUERIES = [  # (query, whether the fast path answers it itself)
    (b"", SLOW), (b"\x00", SLOW), (b"\xff" * 50, SLOW), (_header()[:11], SLOW),
    (_header(qd=0), SLOW),  # no question: FORMERR
    (_header(qd=2) + _QUESTION * 2, SLOW),
    (_header(flags=0x8100) + _QUESTION, SLOW),  # a response, not a query
    (_header(flags=0x2100) + _QUESTION, SLOW),  # opcode NOTIFY
    (_header(flags=0x2900) + _QUESTION, SLOW),  # opcode UPDATE
    (_header() + _QUESTION + b"\x00", SLOW),  # trailing junk
    (_header() + _QUESTION[:-1], SLOW),
    (_header() + b"\x03www" + b"\xc0\x0c" + b"\x00\x01\x00\x01", SLOW),  # pointer to header
    (_header(qd=2) + _QUESTION + b"\x03www\xc0\x0c\x00\x01\x00\x01", SLOW),  # proper pointer
    (_header() + b"\x41" + b"x" * 65 + b"\x00\x00\x01\x00\x01", SLOW),  # obsolete label type
    (_header() + b"\x3f" + b"x" * 63 + b"\x3f" * 4 + b"\x00\x00\x01\x00\x01", SLOW),  # no name
    (_header() + (b"\x3f" + b"x" * 63) * 4 + b"\x00\x00\x01\x00\x01", SLOW),  # 257 bytes
    (_header() + (b"\x3f" + b"x" * 63) * 3 + b"\x3d" + b"x" * 61 + b"\x00\x00\x01\x00\x01",
     FAST),  # 255 bytes: the longest name
    (_header(ar=1) + _QUESTION + _OPT, FAST),
    (_header(ar=1) + _QUESTION + _OPT[:-2] + b"\x00\x04" + b"\x00\x0c\x00\x00", SLOW),  # pad
    (_header(ar=1) + _QUESTION + b"\x01a" + _OPT[1:], SLOW),  # OPT not owned by the root
    (_header(ar=2) + _QUESTION + _OPT + _OPT, SLOW),
    (_header(ar=1) + _QUESTION + _OPT[:3] + b"\x00\x01" + _OPT[5:], FAST),  # payload 1
    (_header(ar=1) + _QUESTION + _OPT[:5] + b"\x01\x00\xff\xff" + _OPT[9:], FAST),  # ext rcode
    (_header(an=1) + _QUESTION + b"\xc0\x0c" + _A_RECORD, SLOW),  # an answer in a query
    (_header(ar=1) + _QUESTION + b"\x00" + _A_RECORD, SLOW),  # an additional record, not OPT
    (_header(flags=0x0100 | 0x0200 | 0x0010 | 0x000F) + _QUESTION, FAST),  # TC, CD, rcode
    (_header(flags=0) + _QUESTION, FAST),  # no RD
]


def test_unusual_queries_are_left_to_dnspython_or_answered_alike():
    srv = server(True)
    for wire, fast in ODD_QUERIES:
        for tcp in (False, True):
            before = srv.queries_received
            reply, _ = srv.reply_wire(wire, tcp=tcp)
            assert srv.queries_received == before + 1
            assert reply is None or isinstance(reply, bytes)
            assert compare(srv, wire, tcp) is fast, wire


def test_responses_and_bad_fault_settings_are_ignored_not_raised():
    srv = LabDnsServer(zone_set(False), faults={"example.lab": "delay:soon"})
    assert srv.reply_wire(_header(flags=0x8100) + _QUESTION, tcp=False) == (None, 0.0)
    assert srv.reply_wire(_header() + _QUESTION, tcp=False) == (None, 0.0)
    assert srv.reply_wire(_header(qd=0), tcp=False)[0] is not None  # FORMERR, as before


# -- fuzzing --------------------------------------------------------------------------------

_SEEDS = [query_wire(name, rdtype, payload, do)
          for name, rdtype, payload, do in [
              ("example.lab", "MX", 1232, False), ("x.y.wild.example.lab", "TXT", None, False),
              ("example.lab", "DS", 1232, True), ("junk.example.lab", "A", 1232, False),
              ("alias.example.lab", "A", 512, True), ("big.example.lab", "TXT", 1232, True),
              ("mx.example.lab", "AAAA", None, False), (".", "DNSKEY", 4096, True)]]

_MUTATION = st.tuples(st.sampled_from(["set", "insert", "delete", "cut", "flip"]),
                      st.integers(0, 600), st.integers(0, 255))


def _mutate(wire: bytes, mutations) -> bytes:
    data = bytearray(wire)
    for op, where, byte in mutations:
        where %= len(data) + 1
        if op == "set" and where < len(data):
            data[where] = byte
        elif op == "flip" and where < len(data):
            data[where] ^= 1 << (byte % 8)
        elif op == "insert":
            data.insert(where, byte)
        elif op == "delete" and where < len(data):
            del data[where]
        elif op == "cut":
            del data[where:]
        if not data:
            break
    return bytes(data)


def _check_any(srv: LabDnsServer, wire: bytes, tcp: bool) -> None:
    reply, delay = srv.reply_wire(wire, tcp=tcp)
    assert reply is None or isinstance(reply, bytes)
    assert isinstance(delay, float)
    compare(srv, wire, tcp)


@FUZZ
@given(wire=st.binary(max_size=400), tcp=st.booleans(), signed=st.booleans())
def test_random_bytes_never_raise(wire, tcp, signed):
    _check_any(_fuzz_server(signed), wire, tcp)


@FUZZ
@given(seed=st.sampled_from(_SEEDS), mutations=st.lists(_MUTATION, min_size=1, max_size=4),
       tcp=st.booleans(), signed=st.booleans())
def test_mutated_queries_never_raise_and_agree(seed, mutations, tcp, signed):
    _check_any(_fuzz_server(signed), _mutate(seed, mutations), tcp)


@FUZZ
@given(labels=st.lists(st.binary(min_size=1, max_size=12), min_size=0, max_size=5),
       suffix=st.sampled_from([(), (b"example", b"lab"), (b"wild", b"example", b"lab"),
                               (b"EXAMPLE", b"lab"), (b"lab",)]),
       rdtype=st.integers(0, 65535), rdclass=st.sampled_from([1, 3, 254, 255, 1234]),
       edns=st.sampled_from([None, (0, 0), (1232, 0x8000), (4096, 0x8000), (512, 0x01FF8000)]),
       rd=st.booleans(), tcp=st.booleans())
def test_generated_questions_agree(labels, suffix, rdtype, rdclass, edns, rd, tcp):
    name = b"".join(bytes([len(label)]) + label for label in (*labels, *suffix)) + b"\x00"
    wire = _header(flags=0x0100 if rd else 0, ar=0 if edns is None else 1) + name + \
        struct.pack("!HH", rdtype, rdclass)
    if edns is not None:
        wire += b"\x00\x00\x29" + struct.pack("!HIH", edns[0], edns[1], 0)
    srv = _fuzz_server(True)
    if len(name) <= 255 and not compare(srv, wire, tcp):  # only big answers are left over
        assert _too_big_for_uncompressed(srv, wire, tcp)
    _check_any(srv, wire, tcp)


@functools.cache
def _fuzz_server(signed: bool) -> LabDnsServer:
    return server(signed)


def test_seeds_are_valid_queries():
    for wire in _SEEDS:
        assert dns.message.from_wire(wire).opcode() == dns.opcode.QUERY
