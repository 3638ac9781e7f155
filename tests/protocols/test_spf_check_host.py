"""check_host() against the RFC 7208 scenarios in spf_scenarios.py and Appendix A."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest

from cyberbasics.protocols.spf import RESULTS, SpfResult, check_host
from tests.protocols.fake_dns import ZoneDns
from tests.protocols.spf_scenarios import (
    APPENDIX_A1,
    APPENDIX_A4_INTENDED,
    APPENDIX_A4_RECORD,
    CHECKS,
    FAULTS,
    HELO,
    ZONE,
    with_spf,
    zone_with,
)


async def run(ip: str, sender: str, *, zone=None, helo: str | None = HELO, domain: str = "",
              **kwargs) -> tuple[SpfResult, ZoneDns]:
    dns = ZoneDns(ZONE if zone is None else zone, FAULTS)
    result = await check_host(ip, domain, sender, helo=helo, dns=dns, **kwargs)
    return result, dns


def test_scenario_ids_are_unique():
    ids = [case["id"] for case in CHECKS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CHECKS, ids=[case["id"] for case in CHECKS])
async def test_scenario(case):
    result, dns = await run(case["ip"], case["sender"], helo=case.get("helo", HELO),
                            domain=case.get("domain", ""))
    context = f"{case['spec']}: {case['rule']} -> {result.to_json()}"
    assert result.result == case["result"], context
    assert result.result in RESULTS
    assert result.explanation, context
    if "mechanism" in case:
        assert result.mechanism == case["mechanism"], context
    if "exp_text" in case:
        assert result.exp_text == case["exp_text"], context
    if "explanation_has" in case:
        assert case["explanation_has"] in result.explanation, context
    if "lookups" in case:
        assert result.lookups == case["lookups"], context
    if "void_lookups" in case:
        assert result.void_lookups == case["void_lookups"], context
    for name, rdtype in case.get("asked", []):
        assert dns.asked(name, rdtype), f"{name}/{rdtype} was not asked: {context}"
    for name, rdtype in case.get("not_asked", []):
        assert not dns.asked(name, rdtype), f"{name}/{rdtype} was asked: {context}"
    assert all(rdtype != "SPF" for _, rdtype in dns.queries)  # §4.4: TXT only
    json.dumps(result.to_json())


# -- RFC 7208 Appendix A ----------------------------------------------------------------------


@pytest.mark.parametrize(("record", "expected"), APPENDIX_A1, ids=[r for r, _ in APPENDIX_A1])
async def test_appendix_a1_simple_examples(record, expected):
    zone = with_spf(ZONE, "example.com", record)
    for ip, result in expected.items():
        got, _ = await run(ip, "user@example.com", zone=zone)
        assert got.result == result, f"{record} with {ip}: {got.explanation}"


async def test_appendix_a1_ptr_rogue_reverse_does_not_validate():
    zone = with_spf(ZONE, "example.com", "v=spf1 ptr -all")
    got, dns = await run("10.0.0.4", "user@example.com", zone=zone)
    assert got.result == "fail"
    assert dns.asked("4.0.0.10.in-addr.arpa", "PTR")
    assert dns.asked("bob.example.com", "A")  # looked up, but 10.0.0.4 is not among its addresses


async def test_appendix_a1_cname_is_followed():
    zone = with_spf(ZONE, "example.com", "v=spf1 a:www.example.com -all")
    got, _ = await run("192.0.2.10", "user@example.com", zone=zone)
    assert got.result == "pass"


@pytest.mark.parametrize("domain", ["example.org", "la.example.org", "ny.example.org",
                                    "sf.example.org"])
async def test_appendix_a2_multiple_domains(domain):
    # Mail from any of them passes if example.com or example.net passes it.
    via_com, _ = await run("192.0.2.129", f"tom@{domain}")  # an MX of example.com
    assert via_com.result == "pass"
    assert via_com.mechanism == "include:example.com"
    via_net, _ = await run("192.0.2.200", f"tom@{domain}")  # in example.net's block
    assert via_net.result == "pass"
    assert via_net.mechanism == "include:example.net"
    # example.org's own mail server is in neither: the record says -all.
    other, _ = await run("192.0.2.140", f"tom@{domain}")
    assert other.result == "fail"
    assert other.matched_domain == "example.org"
    if domain != "example.org":
        assert "redirects to example.org" in other.explanation


@pytest.mark.parametrize(("sender", "ip", "expected"), [
    ("joel@example.com", "192.168.15.15", "pass"),  # a listed personal server
    ("joel@example.com", "192.168.15.16", "pass"),
    ("joel@example.com", "192.168.15.17", "fail"),
    ("mary@example.com", "198.51.100.1", "pass"),  # a mobile user, from anywhere
    ("mary+lists@example.com", "198.51.100.1", "pass"),  # %{l1r+}: the part before '+'
    ("fred@example.com", "2001:db8::1", "pass"),
    ("eve@example.com", "198.51.100.1", "fail"),
    ("eve@example.com", "192.0.2.129", "pass"),  # the mx mechanism still works
])
async def test_appendix_a3_dnsbl_style(sender, ip, expected):
    got, _ = await run(ip, sender)
    assert got.result == expected, got.explanation


async def test_appendix_a3_queries_the_dnsbl_names():
    _, dns = await run("192.168.15.17", "joel@example.com")
    assert dns.asked("joel.mobile-users._spf.example.com", "A")
    assert dns.asked("17.15.168.192.joel.remote-users._spf.example.com", "A")


@pytest.mark.parametrize("ip", ["192.0.2.65", "192.0.2.129", "198.51.100.1"])
async def test_appendix_a4_as_written(ip):
    # Read literally, "-ptr" in ptr._spf.example.com targets ptr._spf.example.com itself,
    # so no client can satisfy the second requirement.
    zone = with_spf(ZONE, "example.com", APPENDIX_A4_RECORD)
    got, _ = await run(ip, "user@example.com", zone=zone)
    assert got.result == "fail"


@pytest.mark.parametrize(("ip", "expected"), [
    ("192.0.2.65", "pass"),  # in 192.0.2.0/24 and its PTR validates in example.com
    ("192.0.2.129", "pass"),
    ("192.0.2.200", "fail"),  # in the range, but no PTR
    ("198.51.100.1", "fail"),  # outside the range
    ("10.0.0.4", "fail"),  # a rogue PTR that does not validate, outside the range
])
async def test_appendix_a4_intended_de_morgan(ip, expected):
    zone = with_spf(zone_with(APPENDIX_A4_INTENDED), "example.com", APPENDIX_A4_RECORD)
    got, _ = await run(ip, "user@example.com", zone=zone)
    assert got.result == expected, got.explanation


# -- §7.4 macro expansion examples -----------------------------------------------------------

SECTION_7_4 = {
    "s": "strong-bad@email.example.com",
    "o": "email.example.com",
    "d": "email.example.com",
    "d4": "email.example.com",
    "d3": "email.example.com",
    "d2": "example.com",
    "d1": "com",
    "dr": "com.example.email",
    "d2r": "example.email",
    "l": "strong-bad",
    "l-": "strong.bad",
    "lr": "strong-bad",
    "lr-": "bad.strong",
    "l1r-": "strong",
    "p": "mx.example.org",
    "ex2": "bad.strong.lp._spf.example.com",
    "ex5": "example.com.trusted-domains.example.net",
}


def _fields(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(" "))


async def test_section_7_4_ipv4():
    got, dns = await run("192.0.2.3", "strong-bad@email.example.com")
    # -exists:%{ir}.%{v}._spf.%{d2} found 3.2.0.192.in-addr._spf.example.com
    assert got.result == "fail"
    assert got.mechanism == "-exists:%{ir}.%{v}._spf.%{d2}"
    assert dns.asked("3.2.0.192.in-addr._spf.example.com", "A")
    fields = _fields(got.exp_text or "")
    for key, value in SECTION_7_4.items():
        assert fields[key] == value, key
    assert fields["ex1"] == "3.2.0.192.in-addr._spf.example.com"
    assert fields["ex3"] == "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"
    assert fields["ex4"] == "3.2.0.192.in-addr.strong.lp._spf.example.com"


async def test_section_7_4_ipv6():
    got, dns = await run("2001:db8::cb01", "strong-bad@email.example.com")
    name = ("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6."
            "_spf.example.com")
    assert got.result == "fail"
    assert dns.asked(name, "A")
    assert _fields(got.exp_text or "")["ex1"] == name
    assert _fields(got.exp_text or "")["p"] == "mx.example.org"


async def test_section_7_4_no_match_from_other_address():
    got, _ = await run("192.0.2.4", "strong-bad@email.example.com")
    assert got.result == "neutral"


async def test_exp_only_macros_c_r_t():
    before = int(time.time())
    got, _ = await run("192.0.2.1", "x@expcrt.spf.test", receiver="mx.receiver.test")
    after = int(time.time())
    fields = _fields(got.exp_text or "")
    assert fields["c"] == "192.0.2.1"
    assert fields["r"] == "mx.receiver.test"
    assert fields["v"] == "in-addr"
    assert re.fullmatch(r"[0-9]+", fields["t"]) and before <= int(fields["t"]) <= after


async def test_receiver_defaults_to_unknown():
    got, _ = await run("2001:db8::5", "x@expcrt.spf.test")
    fields = _fields(got.exp_text or "")
    assert fields["r"] == "unknown"
    assert fields["c"] == "2001:db8::5"
    assert fields["v"] == "ip6"


async def test_upper_case_macro_url_escapes_reserved_characters():
    # RFC 7208 test-suite example: l = jack&jill=up
    got, _ = await run("192.0.2.1", "jack&jill=up@upper.spf.test")
    assert got.exp_text == "http://spf.test/why.html?l=jack%26jill%3Dup&d=upper.spf.test"


# -- §8 result semantics ------------------------------------------------------------------------

SECTION_8 = [
    # (result, ip, sender, helo, words the plain-language explanation must contain)
    ("none", "192.0.2.1", "", "[192.0.2.1]", "not a valid domain name"),  # 8.1 (a)
    ("none", "192.0.2.1", "x@notspf.spf.test", HELO, "no SPF record"),  # 8.1 (b)
    ("neutral", "192.0.2.4", "x@qual.spf.test", HELO, "matched ?ip4:192.0.2.4"),  # 8.2
    ("neutral", "192.0.2.9", "x@noall.spf.test", HELO, "neutral"),  # 8.2 (default)
    ("pass", "192.0.2.1", "x@qual.spf.test", HELO, "matched ip4:192.0.2.1"),  # 8.3
    ("fail", "192.0.2.1", "x@expmacro.spf.test", HELO, "own explanation"),  # 8.4
    ("softfail", "192.0.2.3", "x@qual.spf.test", HELO, "matched ~ip4"),  # 8.5
    ("temperror", "192.0.2.1", "x@servfail.spf.test", HELO, "DNS lookup"),  # 8.6
    ("permerror", "192.0.2.1", "x@anywhere.spf.test", HELO, "invalid"),  # 8.7
    ("permerror", "192.0.2.1", "x@limit11.spf.test", HELO, "at most 10"),  # 8.7
]


@pytest.mark.parametrize(("expected", "ip", "sender", "helo", "words"), SECTION_8,
                         ids=[f"{row[0]}-{row[2] or row[3]}" for row in SECTION_8])
async def test_section_8_results_and_their_explanations(expected, ip, sender, helo, words):
    got, _ = await run(ip, sender, helo=helo)
    assert got.result == expected
    assert words in got.explanation


async def test_section_8_4_third_party_text_is_marked_as_such():
    # 8.4: text from the sender's domain should be clearly marked as coming from it.
    got, _ = await run("192.0.2.1", "x@expmacro.spf.test")
    assert "The domain's own explanation (exp=) says: \"" in got.explanation


# -- explanation, result object and other contract details -------------------------------------


async def test_fail_explanation_includes_exp_text():
    got, _ = await run("192.0.2.1", "x@expmacro.spf.test")
    assert got.explanation.startswith("192.0.2.1 matched -all in the record of "
                                      "expmacro.spf.test")
    assert got.exp_text and got.exp_text in got.explanation


async def test_pass_explanation_names_the_address_and_the_domain():
    zone = with_spf(ZONE, "example.com", "v=spf1 ip4:192.0.2.0/24 -all")
    got, _ = await run("192.0.2.1", "a@example.com", zone=zone)
    assert got.explanation == "192.0.2.1 matched ip4:192.0.2.0/24 in the record of example.com"
    assert got.to_json() == {
        "result": "pass", "explanation": got.explanation, "mechanism": "ip4:192.0.2.0/24",
        "domain": "example.com", "matched_domain": "example.com", "exp_text": None,
        "lookups": 0, "void_lookups": 0,
    }


async def test_include_explanation_says_which_record_passed():
    got, _ = await run("192.0.2.129", "tom@example.org")
    assert "the record of example.com passes it" in got.explanation
    assert "mail-a.example.com" in got.explanation


async def test_domain_argument_overrides_sender_domain():
    got, dns = await run("192.0.2.1", "x@nowhere.spf.test", domain="qual.spf.test")
    assert got.result == "pass"
    assert got.domain == "qual.spf.test"
    assert not dns.asked("nowhere.spf.test", "TXT")


async def test_helo_identity_check():
    # A HELO check: <sender> is the HELO name, so the local-part is postmaster.
    got, _ = await run("192.0.2.1", "helo.spf.test", helo="helo.spf.test")
    assert got.exp_text == ("postmaster@helo.spf.test|postmaster|helo.spf.test|helo.spf.test|"
                            "helo.spf.test")


async def test_no_sender_and_no_helo_is_none():
    got, dns = await run("192.0.2.1", "", helo=None)
    assert got.result == "none"
    assert dns.queries == []


async def test_invalid_ip_is_a_value_error():
    with pytest.raises(ValueError):
        await run("not-an-ip", "x@qual.spf.test")


async def test_processing_time_limit_gives_temperror():
    dns = ZoneDns(ZONE, FAULTS, delay=0.05)
    got = await check_host("192.0.2.1", "", "x@limit10.spf.test", helo=HELO, dns=dns,
                           timeout=0.2)
    assert got.result == "temperror"
    assert "longer than" in got.explanation


async def test_raising_dns_layer_is_a_temperror():
    class Exploding:
        async def lookup(self, name, rdtype):
            raise OSError("network unreachable")

    got = await check_host("192.0.2.1", "", "x@qual.spf.test", helo=HELO, dns=Exploding())
    assert got.result == "temperror"
    assert "network unreachable" in got.explanation


async def test_lookups_are_not_repeated_needlessly_by_the_caller_cache():
    # The real DnsClient caches; the evaluation itself asks each name/type it needs.
    got, dns = await run("192.0.2.1", "x@limit10.spf.test")
    assert got.result == "pass"
    counts = dns.query_counts
    assert counts[("limit10.spf.test", "TXT")] == 1


async def test_concurrent_checks_share_nothing():
    dns = ZoneDns(ZONE, FAULTS)
    results = await asyncio.gather(*(
        check_host(f"192.0.2.{n}", "", "x@qual.spf.test", helo=HELO, dns=dns)
        for n in range(1, 7)))
    assert [r.result for r in results] == ["pass", "fail", "softfail", "neutral", "pass",
                                           "neutral"]
