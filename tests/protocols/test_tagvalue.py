from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.protocols.tagvalue import (
    ReportUri,
    TagList,
    TagListError,
    is_hostname,
    parse_report_uri,
    split_tag_list,
    split_versioned_fields,
)

FUZZ = settings(max_examples=300, deadline=None)


class TestSplitTagList:
    def test_values_keep_inner_whitespace_and_lose_outer(self):
        tags = split_tag_list(" a=1; b = two words ;\tc=\r\n x ;")
        pairs = [(t.name, t.value) for t in tags.tags]
        assert pairs == [("a", "1"), ("b", "two words"), ("c", "x")]

    def test_empty_segments_and_trailing_semicolons_are_skipped(self):
        assert split_tag_list("a=1;;; b=2;;").names() == ("a", "b")

    def test_empty_value_is_kept_distinct_from_absent(self):
        tags = split_tag_list("p=; k=rsa")
        assert tags.get("p") == ""
        assert tags.get("x") is None
        assert "p" in tags and "x" not in tags

    def test_names_are_case_sensitive_unless_folded(self):
        assert split_tag_list("P=1").names() == ("P",)
        assert split_tag_list("P=1", fold_names=True).names() == ("p",)

    def test_repeated_tag_makes_the_list_invalid(self):
        with pytest.raises(TagListError, match="tag 'a' appears more than once"):
            split_tag_list("a=1; b=2; a=3")

    def test_folded_names_collide(self):
        with pytest.raises(TagListError, match="'p' appears more than once"):
            split_tag_list("p=1; P=2", fold_names=True)

    def test_segment_without_equals(self):
        with pytest.raises(TagListError, match="'junk' is not a tag=value pair"):
            split_tag_list("a=1; junk")

    def test_bad_tag_name(self):
        with pytest.raises(TagListError, match="'1a' is not a valid tag name"):
            split_tag_list("1a=1")

    def test_lenient_mode_skips_instead(self):
        tags = split_tag_list("a=1; junk; 9=x; b=2", lenient=True)
        assert tags.names() == ("a", "b")
        assert tags.skipped == ("junk", "9=x")

    def test_non_text(self):
        with pytest.raises(TagListError):
            split_tag_list(b"a=1")  # type: ignore[arg-type]

    def test_to_json(self):
        assert json.dumps(split_tag_list("a=1; junk", lenient=True).to_json())


class TestVersionedFields:
    def test_fields_after_the_version(self):
        fields, warnings = split_versioned_fields("v=STSv1; id=1 ;x=y;", "v=STSv1", record="t")
        assert fields == [("id", "1"), ("x", "y")]
        assert warnings == []

    def test_version_is_exact(self):
        with pytest.raises(TagListError, match="case-sensitive"):
            split_versioned_fields("v=stsv1; id=1", "v=STSv1", record="t")
        with pytest.raises(TagListError, match="case-sensitive and takes no spaces"):
            split_versioned_fields("v = STSv1; id=1", "v=STSv1", record="t")
        with pytest.raises(TagListError, match="not with whitespace"):
            split_versioned_fields(" v=STSv1; id=1", "v=STSv1", record="t")
        with pytest.raises(TagListError, match="must begin with 'v=STSv1'"):
            split_versioned_fields("id=1; v=STSv1", "v=STSv1", record="t")

    def test_spaces_around_equals_are_refused(self):
        with pytest.raises(TagListError, match="spaces around '='"):
            split_versioned_fields("v=STSv1; id = 1", "v=STSv1", record="t")

    def test_tolerated_deviations_are_warnings(self):
        _, warnings = split_versioned_fields("v=STSv1; id=1;; x=1 ", "v=STSv1", record="t")
        assert "the record has an empty field between semicolons" in warnings
        assert "the record ends with whitespace" in warnings

    def test_bad_field_name(self):
        with pytest.raises(TagListError, match="not a valid field name"):
            split_versioned_fields("v=STSv1; _x=1", "v=STSv1", record="t")


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("example.com", True),
        ("mx-1.mail.example.co.uk", True),
        ("192.0.2.1", True),
        ("", False),
        ("-bad.example", False),
        ("bad-.example", False),
        ("a..b", False),
        ("under_score.example", False),
        ("example.com.", False),
        ("bücher.example", False),
        ("a" * 64 + ".example", False),
    ],
)
def test_is_hostname(name, ok):
    assert is_hostname(name) is ok


class TestReportUri:
    def test_mailto(self):
        uri = parse_report_uri(" mailto:Dmarc@Example.COM ")
        assert uri.valid and uri.scheme == "mailto"
        assert uri.address == "Dmarc@Example.COM" and uri.host == "example.com"

    def test_mailto_percent_encoding_and_query(self):
        uri = parse_report_uri("mailto:d%2Bx@example.com?subject=hi")
        assert uri.address == "d+x@example.com" and uri.valid

    def test_size_suffix(self):
        ten_m = parse_report_uri("mailto:a@example.com!10m", allow_size=True)
        assert ten_m.size_limit == 10 * 2**20
        assert parse_report_uri("mailto:a@example.com!512", allow_size=True).size_limit == 512
        bad = parse_report_uri("mailto:a@example.com!10x", allow_size=True)
        assert not bad.valid and "size limit" in bad.problem
        huge = parse_report_uri("mailto:a@example.com!" + "9" * 5000, allow_size=True)
        assert not huge.valid

    def test_size_suffix_is_not_part_of_the_address_without_allow_size(self):
        assert not parse_report_uri("mailto:a@example.com!10m").valid

    def test_https(self):
        uri = parse_report_uri("https://Reports.Example.net/v1/tlsrpt")
        assert uri.valid and uri.host == "reports.example.net" and uri.address is None

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("", "empty"),
            ("dmarc@example.com", "scheme"),
            ("http://example.com/r", "http: is not supported"),
            ("mailto:", "not an email address"),
            ("mailto:@example.com", "not an email address"),
            ("mailto:dmarc", "not an email address"),
            ("mailto:a b@example.com", "spaces"),
            ("mailto:a@exa_mple.com", "not a valid mail domain"),
            ("mailto:a@bücher.example", "non-ASCII"),
            ("https:///nohost", "no host"),
            ("https://[::1", "cannot be read"),
            ("https://example.com:99999/", "cannot be read"),
        ],
    )
    def test_unusable(self, text, problem):
        uri = parse_report_uri(text)
        assert not uri.valid
        assert problem in uri.problem

    def test_to_json(self):
        data = parse_report_uri("mailto:a@example.com!1k", allow_size=True).to_json()
        assert data["size_limit"] == 1024 and data["text"].endswith("!1k")
        assert json.dumps(data)


@FUZZ
@given(st.text())
def test_fuzz_split_tag_list(text):
    for kwargs in ({}, {"fold_names": True, "lenient": True}):
        try:
            result = split_tag_list(text, **kwargs)
        except TagListError:
            continue
        assert isinstance(result, TagList)
        json.dumps(result.to_json())


@FUZZ
@given(st.text())
def test_fuzz_versioned_fields(text):
    with contextlib.suppress(TagListError):
        split_versioned_fields(text, "v=STSv1", record="fuzz")


@FUZZ
@given(st.text(), st.booleans())
def test_fuzz_report_uri_never_raises(text, allow_size):
    uri = parse_report_uri(text, allow_size=allow_size)
    assert isinstance(uri, ReportUri)
    json.dumps(uri.to_json())
