from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.protocols.mta_sts import (
    MAX_AGE_LIMIT,
    StsPolicy,
    StsPolicyError,
    StsRecord,
    StsRecordError,
    is_sts_record,
    mx_matches,
    parse_sts_policy,
    parse_sts_record,
    uncovered_mx_hosts,
)

FUZZ = settings(max_examples=300, deadline=None)

# RFC 8461 §3.2's example policy, with the CRLF line endings the text asks for.
RFC8461_POLICY = (
    "version: STSv1\r\n"
    "mode: enforce\r\n"
    "mx: mail.example.com\r\n"
    "mx: *.example.net\r\n"
    "mx: backupmx.example.com\r\n"
    "max_age: 604800\r\n"
)


# -- the _mta-sts TXT record -----------------------------------------------------------


def test_rfc8461_example_record():
    record = parse_sts_record("v=STSv1; id=20160831085700Z;")
    assert record.id == "20160831085700Z" and record.extensions == () and record.warnings == ()
    assert is_sts_record("v=STSv1; id=20160831085700Z;")
    assert json.dumps(record.to_json())


def test_record_without_trailing_semicolon_and_with_extensions():
    record = parse_sts_record("v=STSv1;id=abc123 ; ext.name-1=va:lue")
    assert record.id == "abc123" and record.extensions == (("ext.name-1", "va:lue"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("v=STSv1", "the id field is missing"),
        ("v=STSv1;", "the id field is missing"),
        ("v=STSv1; ID=123", "id field is missing \\(field names are case-sensitive"),
        ("v=stsv1; id=1", "case-sensitive"),
        ("v = STSv1; id=1", "takes no spaces"),
        (" v=STSv1; id=1", "not with whitespace"),
        ("v=STSv2; id=1", "must begin with 'v=STSv1'"),
        ("id=1; v=STSv1", "must begin with 'v=STSv1'"),
        ("v=STSv1; id=abc-123", "must be 1 to 32 letters and digits"),
        ("v=STSv1; id=" + "a" * 33, "must be 1 to 32 letters and digits"),
        ("v=STSv1; id=", "must be 1 to 32 letters and digits"),
        ("v=STSv1; id = 1", "spaces around '='"),
        ("v=STSv1; id=1; junk", "is not a name=value pair"),
        ("v=STSv1; id=1; x=a b", "value of 'x'"),
        ("v=STSv1; id=1; x=a=b", "value of 'x'"),
        ("v=STSv1; id=1; _x=1", "not a valid field name"),
        ("", "must begin with 'v=STSv1'"),
    ],
)
def test_bad_records(text, message):
    with pytest.raises(StsRecordError, match=message):
        parse_sts_record(text)


def test_tolerated_record_deviations_warn():
    record = parse_sts_record("v=STSv1; id=1; id=2;; ")
    assert record.id == "1"
    assert "id appears more than once; the first one was used" in record.warnings
    assert "the record has an empty field between semicolons" in record.warnings


def test_is_sts_record():
    assert is_sts_record("v=STSv1 ; id=1")
    assert not is_sts_record("v=STSv1") and not is_sts_record("v=spf1 -all")


# -- the policy file ---------------------------------------------------------------------


def test_rfc8461_example_policy():
    policy = parse_sts_policy(RFC8461_POLICY)
    assert (policy.version, policy.mode, policy.max_age) == ("STSv1", "enforce", 604800)
    assert policy.mx == ("mail.example.com", "*.example.net", "backupmx.example.com")
    assert policy.enforcing and not policy.testing and policy.warnings == ()
    assert json.dumps(policy.to_json())


def test_lf_line_endings_and_no_final_terminator():
    policy = parse_sts_policy(RFC8461_POLICY.replace("\r\n", "\n").rstrip("\n"))
    assert policy.max_age == 604800 and len(policy.mx) == 3


def test_bytes_body():
    assert parse_sts_policy(RFC8461_POLICY.encode()).mode == "enforce"
    with pytest.raises(StsPolicyError, match="not UTF-8"):
        parse_sts_policy(b"version: STSv1\n\xff\n")


def test_mode_none_needs_no_mx_and_testing_mode():
    policy = parse_sts_policy("version: STSv1\nmode: none\nmax_age: 86400\n")
    assert policy.mx == () and not policy.enforcing
    assert parse_sts_policy(RFC8461_POLICY.replace("enforce", "testing")).testing


def test_unknown_fields_are_ignored_and_whitespace_after_colon_is_allowed():
    policy = parse_sts_policy("version:STSv1\nmode:\tenforce  \nmx:MAIL.Example.com\n"
                              "max_age: 0\nfuture_key: some value é\n")
    assert policy.mx == ("mail.example.com",) and policy.max_age == 0
    assert policy.extensions == (("future_key", "some value é"),)


def test_repeated_fields_keep_the_first_and_mx_accumulates():
    policy = parse_sts_policy(RFC8461_POLICY + "mode: testing\nmax_age: 1\n")
    assert policy.mode == "enforce" and policy.max_age == 604800
    assert "line 7: mode is repeated; only line 2 counts" in policy.warnings


def test_tolerated_policy_deviations_warn():
    policy = parse_sts_policy("\ufeffversion: STSv1\n\nmode: none\nmax_age: 60\n\n")
    assert "the policy starts with a byte-order mark" in policy.warnings
    assert "line 2 is blank" in policy.warnings and "line 5 is blank" in policy.warnings


def test_wrong_case_field_names_are_explained():
    with pytest.raises(StsPolicyError, match="the mode line is missing"):
        parse_sts_policy("version: STSv1\nMode: enforce\nmx: a.example\nmax_age: 60\n")
    policy = parse_sts_policy("version: STSv1\nMode: x\nmode: none\nmax_age: 60\n")
    assert any("field names are case-sensitive" in warning for warning in policy.warnings)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("mode: enforce\nmx: a.example\nmax_age: 60", "the version line is missing"),
        ("version: STSv1\nmx: a.example\nmax_age: 60", "the mode line is missing"),
        ("version: STSv1\nmode: enforce\nmx: a.example", "the max_age line is missing"),
        ("version: STSv1\nmode: enforce\nmax_age: 60", "there is no mx line"),
        ("version: STSv1\nmode: testing\nmax_age: 60", "there is no mx line"),
        ("version: STSv2\nmode: none\nmax_age: 60", "line 1: version is 'STSv2', expected STSv1"),
        ("version: STSv1\nmode: Enforce\nmax_age: 60", "line 2: mode 'Enforce' is not enforce"),
        ("version: STSv1\nmode: report\nmax_age: 60", "line 2: mode 'report'"),
        ("version: STSv1\nmode: none\nmax_age: 31557601",
         "line 3: max_age 31557601 is above the maximum of 31557600"),
        ("version: STSv1\nmode: none\nmax_age: -1", "line 3: max_age '-1' is not a number"),
        ("version: STSv1\nmode: none\nmax_age: 1e5", "line 3: max_age '1e5'"),
        ("version: STSv1\nmode: none\nmax_age: 12345678901", "line 3: max_age"),
        ("version: STSv1\nmode: none\nmax_age: ", "line 3: max_age ''"),
        ("version: STSv1\nmode: none\nmax_age 60", "line 3: 'max_age 60' is not a 'key: value'"),
        ("version: STSv1\n mode: none\nmax_age: 60", "line 2: ' mode' is not a valid field name"),
        ("version : STSv1\nmode: none\nmax_age: 60", "line 1: 'version ' is not a valid field"),
        ("version: STSv1\nmode: no\x01ne\nmax_age: 60", "line 2: the value of mode contains"),
        ("version: STSv1\nmode: none\rmax_age: 60", "line 2: the value of mode contains"),
        ("version: STSv1\nmode: enforce\nmx:\nmax_age: 60", "line 3: mx has no value"),
        ("version: STSv1\nmode: enforce\nmx: mail.*.example.com\nmax_age: 60",
         "line 3: mx pattern 'mail.\\*.example.com' may only use '\\*'"),
        ("version: STSv1\nmode: enforce\nmx: *\nmax_age: 60", "line 3: mx pattern '\\*'"),
        ("version: STSv1\nmode: enforce\nmx: *mail.example.com\nmax_age: 60", "line 3: mx"),
        ("version: STSv1\nmode: enforce\nmx: mail.example.com.\nmax_age: 60",
         "must not end with a dot"),
        ("version: STSv1\nmode: enforce\nmx: mail_1.example.com\nmax_age: 60",
         "is not a valid host name"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 60\nx:", "line 5: x has no"),
    ],
)
def test_bad_policies(body, message):
    with pytest.raises(StsPolicyError, match=message):
        parse_sts_policy(body)


def test_max_age_limit_is_allowed():
    policy = parse_sts_policy(f"version: STSv1\nmode: none\nmax_age: {MAX_AGE_LIMIT}")
    assert policy.max_age == 31557600


def test_size_cap():
    padding = "x-pad: " + "a" * 1000 + "\n"
    body = RFC8461_POLICY + padding * 70
    with pytest.raises(StsPolicyError, match="larger than 64 KiB"):
        parse_sts_policy(body)
    with pytest.raises(StsPolicyError, match="larger than 64 KiB"):
        parse_sts_policy(body.encode())
    assert parse_sts_policy(RFC8461_POLICY + padding * 60).mode == "enforce"


# -- MX matching (RFC 8461 §4.1) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("*.example.com", "mx1.example.com", True),
        ("*.example.com", "MX1.Example.COM.", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.mx1.example.com", False),
        ("*.example.com", "mx1.example.com.evil", False),
        ("*.example.com", "mx1example.com", False),
        ("mail.example.com", "mail.example.com", True),
        ("Mail.Example.com", "mail.example.com.", True),
        ("mail.example.com", "a.mail.example.com", False),
        ("*", "anything", False),
        ("*.", "x.", False),
        ("mail.*.example.com", "mail.x.example.com", False),
        ("*.example.com", "", False),
    ],
)
def test_mx_matches(pattern, host, matches):
    assert mx_matches(pattern, host) is matches


def test_mx_matches_non_text():
    assert mx_matches(None, "a.example") is False  # type: ignore[arg-type]


def test_uncovered_mx_hosts():
    policy = parse_sts_policy(RFC8461_POLICY)
    hosts = ["mail.example.com", "mx2.example.net", "mx.other.example", "a.b.example.net",
             "mx.other.example", ""]
    assert uncovered_mx_hosts(policy, hosts) == ["mx.other.example", "a.b.example.net"]
    assert uncovered_mx_hosts(["*.example.org"], ["mx.example.org"]) == []
    assert uncovered_mx_hosts(policy, []) == []


# -- fuzzing ---------------------------------------------------------------------------


def _check_record(text):
    try:
        record = parse_sts_record(text)
    except StsRecordError as exc:
        assert str(exc)
        return None
    assert isinstance(record, StsRecord)
    assert 1 <= len(record.id) <= 32
    json.dumps(record.to_json())
    return record


@FUZZ
@given(st.text())
def test_fuzz_record_text(text):
    _check_record(text)
    _check_record("v=STSv1;" + text)


_RECORD_FIELDS = ["id=20160831085700Z", "id=abc", "id=", "ID=1", "id=a-b", "x=1", "x=a b",
                  "ext.v=;", "", "junk", "id=" + "9" * 40]


@FUZZ
@given(st.lists(st.sampled_from(_RECORD_FIELDS), max_size=5),
       st.sampled_from([";", "; ", " ;", " ; "]),
       st.sampled_from(["v=STSv1", "v=STSv1 ", "v=stsv1", ""]))
def test_fuzz_near_valid_records(fields, separator, version):
    record = _check_record(separator.join([version, *fields]))
    good = {"id=20160831085700Z", "id=abc", "x=1"}
    if version == "v=STSv1" and set(fields) <= good and any(f.startswith("id=") for f in fields):
        assert record is not None


def _check_policy(body):
    try:
        policy = parse_sts_policy(body)
    except StsPolicyError as exc:
        assert str(exc)
        return None
    assert isinstance(policy, StsPolicy)
    assert policy.mode in ("enforce", "testing", "none")
    assert 0 <= policy.max_age <= MAX_AGE_LIMIT
    assert policy.mx or policy.mode == "none"
    json.dumps(policy.to_json())
    return policy


@FUZZ
@given(st.text())
def test_fuzz_policy_text(body):
    _check_policy(body)


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_policy_bytes(body):
    _check_policy(body)


_POLICY_LINES = [
    "version: STSv1", "version:STSv1", "version: STSv2", "mode: enforce", "mode: testing",
    "mode: none", "mode: report", "Mode: enforce", "mx: mail.example.com", "mx: *.example.net",
    "mx: *", "mx: a.*.b", "mx:", "max_age: 604800", "max_age: 31557601", "max_age: x",
    "max_age:  86400 ", "ext: value", "", " ", "junk", "\ufeff", "mx: é.example",
]


@FUZZ
@given(st.lists(st.sampled_from(_POLICY_LINES), max_size=10),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_fuzz_near_valid_policies(lines, terminator, final):
    body = terminator.join(lines) + (terminator if final else "")
    policy = _check_policy(body)
    required = {"version: STSv1", "mode: none", "max_age: 604800"}
    clean = set(lines) <= required | {"ext: value"}
    if clean and required <= set(lines):
        assert policy is not None


@FUZZ
@given(st.text(max_size=30), st.text(max_size=30))
def test_fuzz_mx_matches(pattern, host):
    assert mx_matches(pattern, host) in (True, False)


@pytest.mark.parametrize("value", [None, 42, ["v=STSv1"]])
def test_non_text_input(value):
    with pytest.raises(StsRecordError):
        parse_sts_record(value)
    with pytest.raises(StsPolicyError):
        parse_sts_policy(value)
