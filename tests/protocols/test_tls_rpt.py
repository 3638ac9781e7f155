from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.protocols.tls_rpt import (
    TlsRptError,
    TlsRptRecord,
    is_tlsrpt_record,
    parse_tlsrpt_record,
)

FUZZ = settings(max_examples=300, deadline=None)


def test_rfc8460_mailto_example():
    record = parse_tlsrpt_record("v=TLSRPTv1;rua=mailto:reports@example.com")
    assert [(uri.scheme, uri.address) for uri in record.rua] == [("mailto", "reports@example.com")]
    assert record.warnings == () and is_tlsrpt_record("v=TLSRPTv1;rua=mailto:reports@example.com")
    assert json.dumps(record.to_json())


def test_rfc8460_https_example():
    record = parse_tlsrpt_record("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt")
    assert record.rua[0].scheme == "https" and record.rua[0].host == "reporting.example.com"


def test_several_destinations_with_spaces_around_commas():
    record = parse_tlsrpt_record(
        "v=TLSRPTv1; rua=mailto:tlsrpt@example.com , https://tlsrpt.example.net/v1;"
    )
    assert [uri.host for uri in record.rua] == ["example.com", "tlsrpt.example.net"]
    assert len(record.valid_rua) == 2


def test_extensions_are_kept_and_ignored():
    record = parse_tlsrpt_record("v=TLSRPTv1; rua=mailto:r@example.com; ext=1; x.y-z=a:b")
    assert record.extensions == (("ext", "1"), ("x.y-z", "a:b"))


def test_unusable_destinations_next_to_a_usable_one_are_warnings():
    record = parse_tlsrpt_record("v=TLSRPTv1; rua=http://r.example.com/,mailto:r@example.com,")
    assert len(record.rua) == 2 and len(record.valid_rua) == 1
    assert "rua has an empty entry (a stray comma)" in record.warnings
    assert any("http: is not supported" in warning for warning in record.warnings)


def test_repeated_rua_keeps_the_first():
    record = parse_tlsrpt_record("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com")
    assert record.rua[0].address == "a@example.com"
    assert "rua appears more than once; the first one was used" in record.warnings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("v=TLSRPTv1", "the rua field is missing"),
        ("v=TLSRPTv1;", "the rua field is missing"),
        ("v=TLSRPTv1; RUA=mailto:a@example.com", "missing \\(field names are case-sensitive"),
        ("v=tlsrptv1; rua=mailto:a@example.com", "case-sensitive"),
        ("v=TLSRPTv2; rua=mailto:a@example.com", "must begin with 'v=TLSRPTv1'"),
        ("rua=mailto:a@example.com; v=TLSRPTv1", "must begin with 'v=TLSRPTv1'"),
        ("v=TLSRPTv1; rua = mailto:a@example.com", "spaces around '='"),
        ("v=TLSRPTv1; rua=", "rua has no usable mailto: or https: URI \\(it is empty\\)"),
        ("v=TLSRPTv1; rua=reports@example.com", "no usable .* does not start with a scheme"),
        ("v=TLSRPTv1; rua=http://r.example.com/", "http: is not supported"),
        ("v=TLSRPTv1; rua=mailto:nobody", "is not an email address"),
        ("v=TLSRPTv1; rua=mailto:a@example.com; ext=a b", "the value of 'ext'"),
        ("v=TLSRPTv1; rua=mailto:a@example.com; junk", "not a name=value pair"),
        ("", "must begin with 'v=TLSRPTv1'"),
    ],
)
def test_bad_records(text, message):
    with pytest.raises(TlsRptError, match=message):
        parse_tlsrpt_record(text)


def test_is_tlsrpt_record():
    assert is_tlsrpt_record("v=TLSRPTv1 ;rua=mailto:a@example.com")
    assert not is_tlsrpt_record("v=TLSRPTv1") and not is_tlsrpt_record("v=STSv1; id=1")


def _check(text):
    try:
        record = parse_tlsrpt_record(text)
    except TlsRptError as exc:
        assert str(exc)
        return None
    assert isinstance(record, TlsRptRecord)
    assert record.valid_rua
    json.dumps(record.to_json())
    return record


@FUZZ
@given(st.text())
def test_fuzz_arbitrary_text(text):
    _check(text)
    _check("v=TLSRPTv1; rua=" + text)


_FIELDS = ["rua=mailto:a@example.com", "rua=https://r.example/v1", "rua=http://x",
           "rua=mailto:a@example.com, mailto:b@example.net", "rua=mailto:x", "rua=", "RUA=x",
           "ext=1", "ext=a b", "", "junk", "rua=mailto:a@example.com,,"]


@FUZZ
@given(st.lists(st.sampled_from(_FIELDS), max_size=5),
       st.sampled_from([";", "; ", " ; "]),
       st.sampled_from(["v=TLSRPTv1", "v=TLSRPTv1 ", "v=tlsrptv1", ""]))
def test_fuzz_near_valid_records(fields, separator, version):
    record = _check(separator.join([version, *fields]))
    good = {"rua=mailto:a@example.com", "rua=https://r.example/v1", "ext=1"}
    if version.strip() == "v=TLSRPTv1" and fields and fields[0] in good - {"ext=1"} \
            and set(fields) <= good:
        assert record is not None


@pytest.mark.parametrize("value", [None, 42, b"v=TLSRPTv1"])
def test_non_text_input(value):
    with pytest.raises(TlsRptError):
        parse_tlsrpt_record(value)
