"""Property tests: the parser only ever raises SpfSyntaxError, and check_host() and
analyse_policy() always finish with a valid answer, whatever the records, addresses and
macros."""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberbasics.protocols.spf import (
    MAX_DNS_TERMS,
    MAX_VOID_LOOKUPS,
    RESULTS,
    SpfSyntaxError,
    analyse_policy,
    check_host,
    parse_record,
)
from cyberbasics.protocols.spf_eval import transform
from cyberbasics.protocols.spf_syntax import MacroExpand
from tests.protocols.fake_dns import ZoneDns, txt_rdata

FUZZ = settings(max_examples=250, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
FUZZ_DNS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- strategies -------------------------------------------------------------------------------

_DOMAIN_PARTS = [
    "f.test", "a.f.test", "b.f.test", "c.f.test", "nx.f.test", "err.f.test", "slow.f.test",
    "%{d}", "%{d2}", "%{o}", "%{l}.f.test", "%{L}.f.test", "%{ir}.%{v}.f.test",
    "%{p}.f.test", "%{h}", "%{s}", "%{l1r-}.f.test", "%{i}.f.test", "%{c}", "%{r}", "%{t}",
    "%{x}", "%{d0}", "%%", "%_", "%-", "%", ".", "..", "-", "_spf.", "x" * 70 + ".f.test",
    "foo:bar", "/24", ".com", ".123", ".test.",
]
_CIDRS = ["", "/0", "/8", "/24", "/32", "/33", "//0", "//64", "//128", "//129", "/24//64",
          "/024", "/", "//"]
_NAMES = ["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists", "A", "MX", "Include",
          "moo", "redirect", ""]
_NETWORKS = ["192.0.2.1", "192.0.2.0", "0.0.0.0", "192.0.2", "256.1.1.1", "2001:db8::",
             "::", "::ffff:192.0.2.1", "fe80::1%eth0", "2001:db8:::1", "1.2.3.4:80"]

domain_specs = st.lists(st.sampled_from(_DOMAIN_PARTS), min_size=0, max_size=4).map("".join)


@st.composite
def terms(draw) -> str:
    kind = draw(st.integers(0, 9))
    if kind < 6:
        qualifier = draw(st.sampled_from(["", "", "+", "-", "~", "?"]))
        name = draw(st.sampled_from(_NAMES))
        if name.lower() in ("ip4", "ip6"):
            arg = ":" + draw(st.sampled_from(_NETWORKS)) + draw(st.sampled_from(_CIDRS))
        elif draw(st.booleans()):
            arg = ":" + draw(domain_specs) + draw(st.sampled_from(_CIDRS))
        else:
            arg = draw(st.sampled_from(_CIDRS))
        return qualifier + name + arg
    if kind < 8:
        name = draw(st.sampled_from(["redirect", "exp", "Redirect", "foo", "x-y.z_", "1up", ""]))
        return f"{name}={draw(domain_specs)}"
    return draw(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                        max_size=12))


records = st.lists(terms(), max_size=8).map(lambda ts: " ".join(["v=spf1", *ts]))

# Well-formed records, so that evaluation goes deep: includes, redirects, loops, macros.
_VALID_SPECS = [
    "f.test", "a.f.test", "b.f.test", "c.f.test", "nx.f.test", "err.f.test", "slow.f.test",
    "%{d}", "%{d2}", "%{o}", "%{l}.f.test", "%{L}.f.test", "%{ir}.%{v}.f.test",
    "%{p}.f.test", "%{h}", "%{l1r-}.f.test", "%{i}.f.test", "x" * 70 + ".f.test", "%{s}",
    "foo%%.f.test", "%{d3r+}.f.test", "a.f.test.", "%{l}.%{l}.%{l}.%{l}.%{l}.f.test",
]
_VALID_CIDRS = ["", "", "/0", "/24", "/32", "//0", "//64", "/24//64"]
_VALID_NETWORKS = ["ip4:192.0.2.1", "ip4:192.0.2.0/24", "ip4:0.0.0.0/0", "ip6:2001:db8::/32",
                   "ip6:::/0", "ip6:::ffff:192.0.2.1", "ip4:198.51.100.7"]


@st.composite
def valid_terms(draw) -> str:
    qualifier = draw(st.sampled_from(["", "+", "-", "~", "?"]))
    spec = draw(st.sampled_from(_VALID_SPECS))
    kind = draw(st.sampled_from(["all", "include", "a", "mx", "ptr", "exists", "ip", "ip",
                                 "redirect", "exp", "unknown"]))
    if kind == "all":
        return qualifier + "all"
    if kind in ("include", "exists"):
        return f"{qualifier}{kind}:{spec}"
    if kind in ("a", "mx"):
        target = f":{spec}" if draw(st.booleans()) else ""
        return f"{qualifier}{kind}{target}{draw(st.sampled_from(_VALID_CIDRS))}"
    if kind == "ptr":
        return qualifier + "ptr" + (f":{spec}" if draw(st.booleans()) else "")
    if kind == "ip":
        return qualifier + draw(st.sampled_from(_VALID_NETWORKS))
    if kind == "unknown":
        return f"x-note={spec}"
    return f"{kind}={spec}"


valid_records = st.lists(valid_terms(), max_size=7).map(lambda ts: " ".join(["v=spf1", *ts]))
any_records = st.one_of(valid_records, valid_records, valid_records, records)

client_ips = st.one_of(
    st.sampled_from(["192.0.2.1", "192.0.2.2", "2001:db8::1", "::ffff:192.0.2.1",
                     "2001:db8::cb01"]),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
)
local_parts = st.one_of(
    st.sampled_from(["", "alice", "strong-bad", "a+b", "Macro Error", "x" * 70, "jack&jill=up"]),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="@"),
            max_size=20),
)
helos = st.one_of(st.none(), st.sampled_from(["mail.f.test", "OEMCOMPUTER", "[192.0.2.1]",
                                              "JUMPIN' JUPITER", "a.f.test"]))


def fuzz_zone(root: str, others: list[str]) -> dict:
    zone = {
        "f.test": [("TXT", txt_rdata(root)), ("A", "192.0.2.1"), ("AAAA", "2001:db8::1"),
                   ("MX", "10 a.f.test."), ("MX", "20 b.f.test.")],
        "a.f.test": [("A", "192.0.2.1"), ("AAAA", "2001:db8::1")],
        "b.f.test": [("A", "192.0.2.2")],
        "1.2.0.192.in-addr.arpa": [("PTR", "a.f.test."), ("PTR", "f.test.")],
        "exp.f.test": [("TXT", '"%{i} %{c} %{r} %{t} %{p} %{s} not allowed"')],
    }
    for name, record in zip(["a.f.test", "b.f.test", "c.f.test"], others, strict=False):
        zone.setdefault(name, [])
        zone[name] = [*zone[name], ("TXT", txt_rdata(record))]
    return zone


FAULTS = {"err.f.test": "servfail", "slow.f.test": "timeout"}

# -- parse_record -----------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=80))
def test_parse_arbitrary_text_only_raises_syntax_error(text):
    try:
        parse_record(text)
    except SpfSyntaxError as error:
        assert str(error)


@FUZZ
@given(st.text(max_size=60))
def test_parse_arbitrary_terms_only_raises_syntax_error(text):
    try:
        record = parse_record("v=spf1 " + text)
    except SpfSyntaxError as error:
        if error.position is not None:
            assert 0 <= error.position <= len(text) + 7
    else:
        assert [t.text for t in record.terms] == text.split()
        json.dumps(record.to_json())


@FUZZ
@given(records)
def test_parse_structured_records(text):
    try:
        record = parse_record(text)
    except SpfSyntaxError as error:
        assert error.reason
        if error.term is not None:
            assert error.term in text
    else:
        assert [t.text for t in record.terms] == text.split()[1:]
        assert sum(1 for t in record.terms if t.name == "redirect") <= 1
        assert sum(1 for t in record.terms if t.name == "exp") <= 1
        for term in record.mechanisms:
            assert term.qualifier in "+-~?"
            assert term.cidr4 is None or 0 <= term.cidr4 <= 32
            assert term.cidr6 is None or 0 <= term.cidr6 <= 128


# -- check_host -------------------------------------------------------------------------------


@FUZZ_DNS
@given(root=any_records, others=st.lists(any_records, max_size=3), ip=client_ips,
       local=local_parts, helo=helos, exp=st.booleans())
def test_check_host_always_returns_a_valid_result(root, others, ip, local, helo, exp):
    if exp:
        root += " exp=exp.f.test"
    zone = fuzz_zone(root, others)
    dns = ZoneDns(zone, FAULTS)

    async def go():
        return await check_host(ip, "", f"{local}@f.test", helo=helo, dns=dns, timeout=5)

    result = asyncio.run(go())
    assert result.result in RESULTS
    assert isinstance(result.explanation, str) and result.explanation
    assert 0 <= result.lookups <= MAX_DNS_TERMS + 1
    assert 0 <= result.void_lookups <= MAX_VOID_LOOKUPS + 1
    if result.result in ("permerror", "temperror", "none"):
        assert result.mechanism is None and result.exp_text is None
    if result.exp_text is not None:
        assert result.result == "fail" and result.exp_text.isascii()
    assert len(dns.queries) < 400  # the limits bound the work
    json.dumps(result.to_json())


@FUZZ_DNS
@given(root=any_records, others=st.lists(any_records, max_size=3))
def test_analyse_policy_always_returns_a_report(root, others):
    dns = ZoneDns(fuzz_zone(root, others), FAULTS)
    report = asyncio.run(analyse_policy("f.test", dns=dns))
    assert report.status in ("none", "multiple", "syntax_error", "ok", "dns_error")
    assert report.lookup_status in ("ok", "over_limit", "unknown", "not_applicable")
    assert report.void_status in ("ok", "over_limit", "unknown", "not_applicable")
    if report.status == "ok":
        assert report.record is not None and report.tree is not None
        assert report.lookups == report.tree.total_lookups
    assert all(count == 1 for count in dns.query_counts.values())  # each asked once
    json.dumps(report.to_json())


@FUZZ
@given(ip=client_ips, sender=st.text(max_size=40), helo=st.one_of(st.none(), st.text(max_size=30)),
       domain=st.text(max_size=40))
def test_check_host_with_arbitrary_identities(ip, sender, helo, domain):
    dns = ZoneDns(fuzz_zone("v=spf1 a mx exists:%{l}.%{o}.f.test -all", []), FAULTS)
    result = asyncio.run(check_host(ip, domain, sender, helo=helo, dns=dns, timeout=5))
    assert result.result in RESULTS


# -- macro transformers (§7.3) ------------------------------------------------------------------

labels = st.lists(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), min_size=1, max_size=8)


@FUZZ
@given(labels, st.integers(1, 12), st.booleans())
def test_transform_keeps_right_hand_parts(parts, digits, reverse):
    value = ".".join(parts)
    macro = MacroExpand("d", digits, reverse, "", "%{d}")
    expected = list(reversed(parts)) if reverse else parts
    assert transform(value, macro) == ".".join(expected[-digits:])


@FUZZ
@given(st.lists(st.from_regex(r"[a-z]{1,5}", fullmatch=True), min_size=1, max_size=6),
       st.sampled_from(list(".-+,/_=")))
def test_transform_splits_on_any_delimiter_and_joins_with_dots(parts, delimiter):
    macro = MacroExpand("l", None, False, delimiter, "%{l}")
    assert transform(delimiter.join(parts), macro) == ".".join(parts)
