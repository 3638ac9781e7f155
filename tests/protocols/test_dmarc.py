from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.protocols.dmarc import (
    DNS_ERROR,
    FOUND,
    INVALID_RECORD,
    MULTIPLE_RECORDS,
    NO_RECORD,
    POLICIES,
    UNUSABLE_RECORD,
    DmarcParseError,
    DmarcRecord,
    discover,
    external_report_authorised,
    is_dmarc_record,
    parse_dmarc,
    psl_organisational_domain,
    tree_walk_targets,
)
from tests.protocols.fake_dns import ZoneDns, txt

FUZZ = settings(max_examples=300, deadline=None)


# -- parsing: examples from the RFC texts ----------------------------------------------


def test_rfc9989_b21_monitoring_mode():
    record = parse_dmarc("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com")
    assert record.p == "none" and record.effective_p == "none"
    assert [uri.address for uri in record.rua] == ["dmarc-feedback@example.com"]
    assert record.usable and not record.testing and record.applies_to_all_mail
    assert record.problems == () and record.features == ()


def test_rfc9989_b22_failure_reports():
    record = parse_dmarc(
        "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
        "ruf=mailto:auth-reports@example.com"
    )
    assert [uri.host for uri in record.ruf] == ["example.com"]


def test_rfc9989_b25_testing_with_two_report_uris():
    # the zone file's character-strings, joined as RFC 9989 §4.5 requires
    record = parse_dmarc(
        "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
        "mailto:tld-test@thirdparty.example.net; t=y"
    )
    assert record.p == "quarantine" and record.t == "y"
    assert [uri.host for uri in record.rua] == ["example.com", "thirdparty.example.net"]
    assert record.testing and not record.applies_to_all_mail
    assert record.features == ("t",) and record.rfc9989_only_tags == ("t",)


def test_rfc7489_style_pct_and_size_limit():
    record = parse_dmarc(
        "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
        "mailto:tld-test@thirdparty.example.net!10m; pct=25"
    )
    assert record.pct == 25 and record.uses_pct and record.testing
    assert not record.applies_to_all_mail
    assert record.rua[1].size_limit == 10 * 1024 * 1024
    assert record.rua[1].address == "tld-test@thirdparty.example.net"
    assert record.features == ("pct", "uri_size_limit")
    assert record.rfc7489_only_tags == ("pct",)


def test_all_tags():
    record = parse_dmarc(
        "v=DMARC1; p=reject; sp=quarantine; np=reject; psd=n; t=n; adkim=s; aspf=s; "
        "fo=1:d:s; rf=afrf; ri=3600; pct=100; rua=mailto:a@example.com; ruf=mailto:f@example.com"
    )
    assert (record.p, record.sp, record.np, record.psd, record.t) == (
        "reject", "quarantine", "reject", "n", "n")
    assert (record.adkim, record.aspf, record.fo, record.rf, record.ri) == (
        "s", "s", ("1", "d", "s"), ("afrf",), 3600)
    assert record.applies_to_all_mail and not record.testing
    assert record.problems == ()
    assert record.effective_sp == "quarantine" and record.effective_np == "reject"
    json.dumps(record.to_json())


def test_defaults():
    record = parse_dmarc("v=DMARC1; p=reject")
    assert (record.psd, record.t, record.adkim, record.aspf) == ("u", "n", "r", "r")
    assert record.fo == ("0",)
    assert record.pct is None and record.rf is None and record.ri is None
    assert record.effective_sp == "reject" and record.effective_np == "reject"


def test_np_falls_back_to_sp_then_p():
    assert parse_dmarc("v=DMARC1; p=none; sp=reject").effective_np == "reject"
    assert parse_dmarc("v=DMARC1; p=quarantine").effective_np == "quarantine"


# -- p: none vs missing vs invalid (RFC 9989 §4.7 / §4.10.1, RFC 7489 §6.6.3) -------


def test_p_none_is_a_valid_policy_even_without_rua():
    record = parse_dmarc("v=DMARC1; p=none")
    assert record.usable and record.effective_p == "none" and not record.falls_back_to_none


def test_missing_p_with_valid_rua_acts_as_none():
    record = parse_dmarc("v=DMARC1; rua=mailto:d@example.com")
    assert record.p is None and record.falls_back_to_none and record.usable
    assert record.effective_p == record.effective_sp == record.effective_np == "none"
    assert record.rfc7489_issues == ("RFC 7489 requires a p tag",)


def test_missing_p_without_rua_gets_no_dmarc_processing():
    record = parse_dmarc("v=DMARC1; adkim=s")
    assert not record.usable and record.effective_p is None and record.effective_sp is None


def test_missing_p_with_only_invalid_rua_gets_no_dmarc_processing():
    record = parse_dmarc("v=DMARC1; rua=dmarc@example.com")
    assert not record.usable
    assert any("rua has URIs that cannot be used" in problem for problem in record.problems)


def test_invalid_p():
    record = parse_dmarc("v=DMARC1; p=block; rua=mailto:d@example.com")
    assert record.p is None and record.effective_p == "none"
    assert record.problems == ("p='block' is not none, quarantine or reject; it was ignored",)
    assert not parse_dmarc("v=DMARC1; p=block").usable


def test_invalid_sp_turns_the_whole_record_into_none():
    # RFC 9989 §4.10.1: an invalid sp or np makes the receiver act as if p=none
    record = parse_dmarc("v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com")
    assert record.effective_p == "none" and record.effective_sp == "none"
    assert not parse_dmarc("v=DMARC1; p=reject; np=bogus").usable


def test_p_must_follow_v_only_for_rfc7489():
    record = parse_dmarc("v=DMARC1; rua=mailto:d@example.com; p=reject")
    assert record.effective_p == "reject"
    assert record.rfc7489_issues == ("RFC 7489 requires p to come straight after v=DMARC1",)


# -- syntax edge cases ---------------------------------------------------------------


def test_tag_names_and_keyword_values_are_case_insensitive():
    record = parse_dmarc("V=DMARC1; P=Reject; SP=None; ADKIM=S; Psd=Y")
    assert (record.p, record.sp, record.adkim, record.psd) == ("reject", "none", "s", "y")


def test_version_value_is_case_sensitive():
    with pytest.raises(DmarcParseError, match="not DMARC1 \\(the value is case-sensitive\\)"):
        parse_dmarc("v=dmarc1; p=reject")


@pytest.mark.parametrize(
    "text",
    ["p=reject; v=DMARC1", "", "v=spf1 -all", "DMARC1", "p=reject", "; v=DMARC1; p=none"],
)
def test_not_a_dmarc_record(text):
    with pytest.raises(DmarcParseError, match="start with v=DMARC1"):
        parse_dmarc(text)
    assert not is_dmarc_record(text)


def test_whitespace_and_trailing_semicolons():
    record = parse_dmarc("  v = DMARC1 ;p = reject ;\t rua = mailto:a@example.com ;;")
    assert record.p == "reject" and record.rua[0].valid
    assert is_dmarc_record(" v = DMARC1")


def test_duplicated_tags_make_the_record_invalid():
    with pytest.raises(DmarcParseError, match="tag 'p' appears more than once"):
        parse_dmarc("v=DMARC1; p=none; p=reject")
    with pytest.raises(DmarcParseError, match="tag 'v' appears more than once"):
        parse_dmarc("v=DMARC1; v=DMARC1; p=reject")


def test_unknown_tags_and_junk_are_ignored():
    record = parse_dmarc("v=DMARC1; p=reject; foo=bar; junk; bimi=x")
    assert record.unknown_tags == ("foo", "bimi")
    assert record.effective_p == "reject"
    assert record.problems == ("'junk' is not a tag=value pair and was ignored",)


@pytest.mark.parametrize(
    ("value", "expected", "testing"),
    [("100", None if False else 100, False), ("0", 0, True), ("050", 50, True), ("99", 99, True)],
)
def test_pct_forms(value, expected, testing):
    record = parse_dmarc(f"v=DMARC1; p=reject; pct={value}")
    assert record.pct == expected and record.testing is testing
    assert record.applies_to_all_mail is (not testing)


@pytest.mark.parametrize("value", ["101", "-1", "abc", "50%", "", "5 0", "٣", "1000", "12.5"])
def test_invalid_pct_falls_back_to_100(value):
    record = parse_dmarc(f"v=DMARC1; p=reject; pct={value}")
    assert record.pct is None and record.uses_pct
    assert record.applies_to_all_mail and not record.testing
    assert any(problem.startswith("pct=") for problem in record.problems)


@pytest.mark.parametrize(
    ("tag", "value", "field", "default"),
    [
        ("psd", "x", "psd", "u"),
        ("t", "yes", "t", "n"),
        ("adkim", "strict", "adkim", "r"),
        ("aspf", "", "aspf", "r"),
    ],
)
def test_invalid_choice_values_take_the_default(tag, value, field, default):
    record = parse_dmarc(f"v=DMARC1; p=reject; {tag}={value}")
    assert getattr(record, field) == default
    assert any(problem.startswith(f"{tag}=") for problem in record.problems)


def test_fo_rf_ri_values():
    assert parse_dmarc("v=DMARC1; p=none; fo=x; ruf=mailto:a@example.com").fo == ("0",)
    record = parse_dmarc("v=DMARC1; p=none; fo=0:1; ruf=mailto:a@example.com")
    assert record.problems == ("fo has both 0 and 1, which exclude each other",)
    assert "fo has no effect without ruf" in parse_dmarc("v=DMARC1; p=none; fo=1").problems
    assert parse_dmarc("v=DMARC1; p=none; rf=iodef").problems
    assert parse_dmarc("v=DMARC1; p=none; ri=-5").ri is None
    assert parse_dmarc("v=DMARC1; p=none; ri=99999999999").ri is None
    assert parse_dmarc("v=DMARC1; p=none; rf=afrf; ri=86400").rfc7489_only_tags == ("rf", "ri")


@pytest.mark.parametrize(
    "uri",
    [
        "dmarc@example.com",
        "mailto:not-an-address",
        "mailto:a@example.com!10x",
        "http://reports.example.com/",
        "mailto:a@@",
    ],
)
def test_bad_report_uris(uri):
    record = parse_dmarc(f"v=DMARC1; p=none; rua={uri}")
    assert not record.rua[0].valid and not record.has_valid_rua
    assert record.problems and record.problems[0].startswith("rua has URIs that cannot be used")


def test_https_report_uri_and_mixed_list():
    record = parse_dmarc("v=DMARC1; rua=https://r.example.com/dmarc , nonsense")
    assert record.rua[0].valid and not record.rua[1].valid
    assert record.falls_back_to_none


def test_to_json_round_trips_through_json():
    record = parse_dmarc("v=DMARC1; p=reject; rua=mailto:a@example.com!1k,bad; x=y")
    data = json.loads(json.dumps(record.to_json()))
    assert data["p"] == "reject" and data["rua"][0]["size_limit"] == 1024
    assert data["unknown_tags"] == ["x"] and data["usable"] is True


# -- fuzzing ---------------------------------------------------------------------------


def _check(text):
    try:
        record = parse_dmarc(text)
    except DmarcParseError as exc:
        assert str(exc)
        return None
    assert isinstance(record, DmarcRecord)
    assert record.effective_p in (*POLICIES, None)
    assert (record.effective_p is not None) is record.usable
    json.dumps(record.to_json())
    return record


@FUZZ
@given(st.text())
def test_fuzz_arbitrary_text(text):
    _check(text)


@FUZZ
@given(st.text())
def test_fuzz_text_after_a_valid_version(text):
    _check("v=DMARC1;" + text)


_TAGS = ["p", "sp", "np", "psd", "t", "pct", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri",
         "P", "Pct", "x", "bimi"]
_VALUES = ["none", "quarantine", "reject", "Reject", "y", "n", "u", "r", "s", "0", "100", "101",
           "-1", "1:d:s", "afrf", "86400", "", " ", "mailto:a@example.com",
           "mailto:a@example.com!10m, mailto:b@example.net", "mailto:x", "https://r.example/",
           "mailto:a@example.com!", "=", "%", "é"]
_record_strategy = st.builds(
    lambda version, tags, sep, space, trail: version + "".join(
        f"{sep}{space}{name}{space}={space}{value}" for name, value in tags) + trail,
    st.sampled_from(["v=DMARC1", "V=DMARC1", "v = DMARC1", "v=DMARC2", "v=dmarc1", ""]),
    st.lists(st.tuples(st.sampled_from(_TAGS), st.sampled_from(_VALUES)), max_size=10),
    st.sampled_from([";", "; ", " ;", ";;"]),
    st.sampled_from(["", " ", "\t"]),
    st.sampled_from(["", ";", " ; ", ";;"]),
)


@FUZZ
@given(_record_strategy)
def test_fuzz_near_valid_records(text):
    record = _check(text)
    names = [tag.split("=", 1)[0].strip().lower() for tag in text.split(";")[1:] if "=" in tag]
    first = text.split(";", 1)[0].replace(" ", "")
    if first.lower() == "v=dmarc1" and first[2:] == "DMARC1" and len(names) == len(set(names)):
        assert record is not None  # only the version or a repeated tag can make it fail


# -- discovery (RFC 9989 §4.10) --------------------------------------------------------


def test_tree_walk_targets_follow_rfc9989_section_4_10():
    # the RFC's own illustration: eight queries for a twelve-label Author Domain
    domain = "a.b.c.d.e.f.g.h.i.j.mail.example.com"
    assert [domain, *tree_walk_targets(domain)] == [
        "a.b.c.d.e.f.g.h.i.j.mail.example.com",
        "g.h.i.j.mail.example.com",
        "h.i.j.mail.example.com",
        "i.j.mail.example.com",
        "j.mail.example.com",
        "mail.example.com",
        "example.com",
        "com",
    ]
    assert tree_walk_targets("a.mail.example.com") == ["mail.example.com", "example.com", "com"]
    assert tree_walk_targets("com") == []
    eight = "1.2.3.4.5.6.7.example"
    assert tree_walk_targets(eight)[0] == "2.3.4.5.6.7.example"  # the parent: seven labels


async def test_record_at_the_domain():
    dns = ZoneDns({"_dmarc.example.com": [txt("v=DMARC1; p=reject")]})
    result = await discover("Example.COM.", dns=dns)
    assert result.status == FOUND and result.found
    assert (result.record_domain, result.applies_via) == ("example.com", "domain")
    assert result.policy() == "reject" and not result.applies_via_org_domain
    assert (result.org_domain, result.psl_org_domain) == ("example.com", "example.com")
    assert not result.org_domains_differ
    assert dns.queried() == ["_dmarc.example.com", "_dmarc.com"]
    assert json.dumps(result.to_json())


async def test_subdomain_uses_the_organisational_domain_record():
    dns = ZoneDns({
        "_dmarc.example.com": [txt("v=DMARC1; p=reject; sp=quarantine; np=reject")],
        "mail.example.com": [("A", "192.0.2.1")],
    })
    result = await discover("mail.example.com", dns=dns)
    assert result.status == FOUND
    assert (result.record_domain, result.applies_via) == ("example.com", "organisational_domain")
    assert result.applies_via_org_domain
    assert result.policy() == "quarantine"
    assert result.policy(domain_exists=False) == "reject"
    assert result.org_domain == "example.com"
    assert dns.queried() == ["_dmarc.mail.example.com", "_dmarc.example.com", "_dmarc.com"]


async def test_fewest_labels_wins_over_an_intermediate_record():
    # RFC 9989 §4.10.2: records at mail.example.com and example.com -> example.com
    dns = ZoneDns({
        "_dmarc.mail.example.com": [txt("v=DMARC1; p=none")],
        "_dmarc.example.com": [txt("v=DMARC1; p=reject")],
    })
    result = await discover("a.mail.example.com", dns=dns)
    assert result.org_domain == "example.com" and result.record_domain == "example.com"
    assert result.policy() == "reject"


async def test_psd_n_makes_an_organisational_domain_and_stops_the_walk():
    dns = ZoneDns({
        "_dmarc.mail.example.com": [txt("v=DMARC1; p=quarantine; psd=n")],
        "_dmarc.example.com": [txt("v=DMARC1; p=reject")],
    })
    result = await discover("a.mail.example.com", dns=dns)
    assert result.org_domain == "mail.example.com" and result.record_domain == "mail.example.com"
    assert result.psl_org_domain == "example.com" and result.org_domains_differ
    assert "_dmarc.example.com" not in dns.queried()


async def test_rfc9989_b43_public_suffix_domain_record():
    zone = {
        "_dmarc.bank.example": [txt("v=DMARC1; p=reject; sp=quarantine; psd=y")],
        "_dmarc.giant.bank.example": [txt("v=DMARC1; p=none; rua=mailto:d@giant.bank.example")],
    }
    dns = ZoneDns(zone)
    giant = await discover("giant.bank.example", dns=dns)
    assert (giant.record_domain, giant.applies_via, giant.org_domain) == (
        "giant.bank.example", "domain", "giant.bank.example")
    mail_giant = await discover("mail.giant.bank.example", dns=ZoneDns(zone))
    assert (mail_giant.record_domain, mail_giant.org_domain) == (
        "giant.bank.example", "giant.bank.example")
    assert mail_giant.policy() == "none"
    mega = await discover("mail.mega.bank.example", dns=ZoneDns(zone))
    assert mega.org_domain == "mega.bank.example"
    assert (mega.record_domain, mega.applies_via) == ("bank.example", "public_suffix_domain")
    assert mega.policy() == "quarantine" and mega.status == FOUND


async def test_deep_names_make_at_most_eight_queries():
    dns = ZoneDns({"_dmarc.example.com": [txt("v=DMARC1; p=reject")]})
    domain = ".".join(f"l{i}" for i in range(30)) + ".example.com"
    result = await discover(domain, dns=dns)
    assert result.query_count == 8 and len(dns.queries) == 8
    assert result.record_domain == "example.com" and result.policy() == "reject"


async def test_no_record_anywhere():
    dns = ZoneDns({"shop.example.co.uk": [("A", "192.0.2.1")]})
    result = await discover("shop.example.co.uk", dns=dns)
    assert result.status == NO_RECORD and result.record is None and result.policy() is None
    # RFC 9989 §4.10.2: with no record the initial target is the organisational domain
    assert result.org_domain == "shop.example.co.uk"
    assert result.psl_org_domain == "example.co.uk" and result.org_domains_differ
    assert dns.queried() == ["_dmarc.shop.example.co.uk", "_dmarc.example.co.uk",
                             "_dmarc.co.uk", "_dmarc.uk"]


async def test_non_dmarc_txt_records_are_ignored():
    dns = ZoneDns({"_dmarc.example.com": [txt("v=spf1 -all"), txt("hello")]})
    result = await discover("example.com", dns=dns)
    assert result.status == NO_RECORD and result.lookups[0].state == "none"


async def test_multiple_records_at_the_domain():
    dns = ZoneDns({
        "_dmarc.mail.example.com": [txt("v=DMARC1; p=none"), txt("v=DMARC1; p=reject")],
        "_dmarc.example.com": [txt("v=DMARC1; p=quarantine")],
    })
    result = await discover("mail.example.com", dns=dns)
    assert result.status == MULTIPLE_RECORDS and not result.found
    assert result.multiple_records_at == ("_dmarc.mail.example.com",)
    # RFC 9989 discards both and keeps walking: the organisational record still applies
    assert result.record_domain == "example.com" and result.policy() == "quarantine"
    assert any("2 DMARC records" in note for note in result.notes)


async def test_multiple_records_with_nothing_above():
    dns = ZoneDns({"_dmarc.example.com": [txt("v=DMARC1; p=none"), txt("v=DMARC1; p=none ")]})
    result = await discover("example.com", dns=dns)
    assert result.status == MULTIPLE_RECORDS and result.record is None


async def test_invalid_record_at_the_domain():
    dns = ZoneDns({"_dmarc.example.com": [txt("v=DMARC1; p=none; p=reject")]})
    result = await discover("example.com", dns=dns)
    assert result.status == INVALID_RECORD and result.record is None
    assert result.lookups[0].state == "invalid"
    assert "appears more than once" in result.lookups[0].error


async def test_unusable_record_at_the_domain():
    dns = ZoneDns({"_dmarc.example.com": [txt("v=DMARC1; adkim=s")]})
    result = await discover("example.com", dns=dns)
    assert result.status == UNUSABLE_RECORD and result.record is not None
    assert result.policy() is None


async def test_record_without_p_but_with_rua_is_found_as_none():
    dns = ZoneDns({"_dmarc.example.com": [txt("v=DMARC1; rua=mailto:d@example.com")]})
    result = await discover("example.com", dns=dns)
    assert result.status == FOUND and result.policy() == "none"


async def test_record_split_over_several_character_strings():
    dns = ZoneDns({"_dmarc.example.com": [txt("v=DMARC1; p=quarantine; ",
                                              "rua=mailto:dmarc-feedback@example.com")]})
    result = await discover("example.com", dns=dns)
    assert result.record.rua[0].address == "dmarc-feedback@example.com"


@pytest.mark.parametrize("fault", ["servfail", "timeout", "refused", "error"])
async def test_dns_error_at_the_domain_is_could_not_check(fault):
    dns = ZoneDns({"_dmarc.example.com": [txt("v=DMARC1; p=reject")]},
                  faults={"_dmarc.example.com": fault})
    result = await discover("example.com", dns=dns)
    assert result.status == DNS_ERROR and result.could_not_check
    assert result.status != NO_RECORD and result.record is None
    assert result.psl_org_domain == "example.com"
    assert dns.queried() == ["_dmarc.example.com"]


async def test_dns_error_during_the_walk_is_could_not_check():
    dns = ZoneDns({"_dmarc.example.com": [txt("v=DMARC1; p=reject")]},
                  faults={"_dmarc.example.com": "timeout"})
    result = await discover("mail.example.com", dns=dns)
    assert result.status == DNS_ERROR and result.record is None
    assert result.lookups[-1].state == "dns_error"


async def test_dns_error_above_a_found_record_only_hides_the_org_domain():
    dns = ZoneDns({"_dmarc.example.com": [txt("v=DMARC1; p=reject")]},
                  faults={"_dmarc.com": "servfail"})
    result = await discover("example.com", dns=dns)
    assert result.status == FOUND and result.policy() == "reject"
    assert result.org_domain is None and not result.org_domains_differ
    assert any("organisational domain is unknown" in note for note in result.notes)


async def test_international_domain_is_queried_as_a_label():
    dns = ZoneDns({"_dmarc.xn--bcher-kva.example": [txt("v=DMARC1; p=none")]})
    result = await discover("Bücher.example", dns=dns)
    assert result.domain == "xn--bcher-kva.example" and result.found


async def test_single_label_domain():
    dns = ZoneDns({})
    result = await discover("com", dns=dns)
    assert result.status == NO_RECORD and dns.queried() == ["_dmarc.com"]
    assert result.psl_org_domain is None


@pytest.mark.parametrize("bad", ["", ".", "a..b", "x" * 64 + ".com", "a." * 130 + "com"])
async def test_not_a_domain(bad):
    with pytest.raises(ValueError):
        await discover(bad, dns=ZoneDns({}))


def test_psl_organisational_domain():
    assert psl_organisational_domain("a.b.example.co.uk") == "example.co.uk"
    assert psl_organisational_domain("Mail.Example.COM.") == "example.com"
    assert psl_organisational_domain("co.uk") is None
    assert psl_organisational_domain("a..b") is None


# -- external report destinations ------------------------------------------------------


async def test_same_organisational_domain_needs_no_authorisation():
    dns = ZoneDns({})
    assert await external_report_authorised(
        "example.com", "mailto:dmarc@reports.example.com", dns=dns) is True
    assert await external_report_authorised(
        "mail.example.com", "mailto:dmarc@example.com", dns=dns) is True
    assert dns.queries == []


async def test_rfc9989_b23_third_party_authorisation():
    dns = ZoneDns({"example.com._report._dmarc.thirdparty.example.net": [txt("v=DMARC1;")]})
    uri = "mailto:auth-reports@thirdparty.example.net"
    assert await external_report_authorised("example.com", uri, dns=dns) is True
    assert dns.queried() == ["example.com._report._dmarc.thirdparty.example.net"]
    assert await external_report_authorised("other.example", uri, dns=dns) is False


async def test_wildcard_authorisation():
    dns = ZoneDns({"*._report._dmarc.thirdparty.example.net": [txt("v=DMARC1")]})
    assert await external_report_authorised(
        "example.com", "mailto:r@thirdparty.example.net", dns=dns) is True


async def test_authorisation_record_must_be_dmarc():
    dns = ZoneDns({"example.com._report._dmarc.thirdparty.example.net": [txt("ok")]})
    assert await external_report_authorised(
        "example.com", "mailto:r@thirdparty.example.net", dns=dns) is False


async def test_authorisation_lookup_failure_is_none():
    dns = ZoneDns({}, faults={"example.com._report._dmarc.thirdparty.example.net": "servfail"})
    assert await external_report_authorised(
        "example.com", "mailto:r@thirdparty.example.net", dns=dns) is None


async def test_authorisation_with_parsed_uri_https_and_org_override():
    record = parse_dmarc("v=DMARC1; p=none; rua=https://collector.example.net/dmarc")
    dns = ZoneDns({"example.com._report._dmarc.collector.example.net": [txt("v=DMARC1")]})
    assert await external_report_authorised("example.com", record.rua[0], dns=dns) is True
    # with the tree-walk organisational domain given, mail.example.com counts as internal
    assert await external_report_authorised(
        "a.mail.example.com", "mailto:r@mail.example.com", dns=ZoneDns({}),
        org_domain="mail.example.com") is True


async def test_unusable_uri_or_overlong_name_is_not_authorised():
    dns = ZoneDns({})
    assert await external_report_authorised("example.com", "dmarc@x.example", dns=dns) is False
    long_host = ".".join(["a" * 60] * 3) + ".net"
    long_domain = ".".join(["b" * 60] * 2) + ".com"
    assert await external_report_authorised(
        long_domain, f"mailto:r@{long_host}", dns=dns) is False
    assert dns.queries == []


async def test_a_record_meant_as_dmarc_but_malformed_is_reported_not_hidden():
    dns = ZoneDns({
        "_dmarc.mail.example.com": [txt("v=DMARC1 p=reject")],
        "_dmarc.example.com": [txt("v=DMARC1; p=none")],
    })
    result = await discover("mail.example.com", dns=dns)
    assert result.status == INVALID_RECORD
    assert "must be followed by a semicolon" in result.lookups[0].error
    assert result.record_domain == "example.com"  # receivers discard it and walk on


@pytest.mark.parametrize("value", [None, 42, b"v=DMARC1; p=none", ["v=DMARC1"]])
def test_non_text_input(value):
    with pytest.raises(DmarcParseError):
        parse_dmarc(value)
    assert not is_dmarc_record(value)
