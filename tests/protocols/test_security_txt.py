from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.protocols.security_txt import (
    MAX_FILE_BYTES,
    SecurityTxt,
    SecurityTxtError,
    parse_rfc3339,
    parse_security_txt,
)

FUZZ = settings(max_examples=300, deadline=None)
NOW = datetime(2021, 6, 1, tzinfo=UTC)  # before the RFC examples' Expires

# RFC 9116 §2.6, "Example of an Unsigned security.txt File".
RFC_UNSIGNED = """# Our security address
Contact: mailto:security@example.com

# Our OpenPGP key
Encryption: https://example.com/pgp-key.txt

# Our security policy
Policy: https://example.com/security-policy.html

# Our security acknowledgments page
Acknowledgments: https://example.com/hall-of-fame.html

Expires: 2021-12-31T18:37:07z
"""

# RFC 9116 §2.7, "Example of a Signed security.txt File" (its placeholder signature).
RFC_SIGNED = """-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

# Canonical URI
Canonical: https://example.com/.well-known/security.txt

# Our security address
Contact: mailto:security@example.com

# Our OpenPGP key
Encryption: https://example.com/pgp-key.txt

# Our security policy
Policy: https://example.com/security-policy.html

# Our security acknowledgments page
Acknowledgments: https://example.com/hall-of-fame.html

Expires: 2021-12-31T18:37:07z
-----BEGIN PGP SIGNATURE-----
Version: GnuPG v2.2

[signature]
-----END PGP SIGNATURE-----
"""

MINIMAL = "Contact: mailto:security@example.com\nExpires: 2021-12-31T18:37:07Z\n"


def parse(text, **kwargs):
    return parse_security_txt(text, now=kwargs.pop("now", NOW), **kwargs)


def codes(result):
    return set(result.problem_codes)


def test_rfc9116_unsigned_example():
    result = parse(RFC_UNSIGNED)
    assert result.valid and result.problems == () and not result.signed
    assert result.contact == ("mailto:security@example.com",)
    assert result.encryption == ("https://example.com/pgp-key.txt",)
    assert result.policy == ("https://example.com/security-policy.html",)
    assert result.acknowledgments == ("https://example.com/hall-of-fame.html",)
    assert result.expires == datetime(2021, 12, 31, 18, 37, 7, tzinfo=UTC)
    assert result.comments[0] == "Our security address"
    assert json.dumps(result.to_json())


def test_rfc9116_signed_example():
    result = parse(RFC_SIGNED)
    assert result.signed and result.valid and result.problems == ()
    assert result.canonical == ("https://example.com/.well-known/security.txt",)
    assert result.fields[0].name == "Canonical"
    assert result.fields[0].line == 5  # line numbers count from the top of the file


def test_signed_with_crlf_and_dash_escaping():
    text = RFC_SIGNED.replace("Expires:", "- Expires:").replace("\n", "\r\n")
    text = text.replace("# Our OpenPGP key", "- # Our OpenPGP key")
    result = parse(text)
    assert result.signed and result.valid and result.problems == ()
    assert result.expires is not None
    assert "Our OpenPGP key" in result.comments


def test_rfc9116_contact_examples():
    # §2.5.3's examples, in order of preference.
    text = ("Contact: mailto:security@example.com\n"
            "Contact: mailto:security%2Buri%2Bencoded@example.com\n"
            "Contact: tel:+1-201-555-0123\n"
            "Contact: https://example.com/security-contact.html\n"
            "Expires: 2021-12-31T18:37:07z\n")
    result = parse(text)
    assert result.valid and result.problems == ()
    assert result.contact[2] == "tel:+1-201-555-0123" and len(result.contact) == 4


def test_rfc9116_encryption_examples_and_other_fields():
    text = MINIMAL + (
        "Encryption: dns:5d2d37ab76d47d36._openpgpkey.example.com?type=OPENPGPKEY\n"
        "Encryption: openpgp4fpr:5f2de5521c63a801ab59ccb603d49de44b29100f\n"
        "Hiring: https://example.com/jobs.html\n"
        "Preferred-Languages: en, es, fr\n"
        "CSAF: https://example.com/.well-known/csaf/provider-metadata.json\n"
    )
    result = parse(text)
    assert result.problems == ()
    assert len(result.encryption) == 2 and result.hiring == ("https://example.com/jobs.html",)
    assert result.preferred_languages == ("en", "es", "fr")
    assert result.csaf[0].endswith("provider-metadata.json")


def test_field_names_are_case_insensitive_and_unknown_fields_are_kept():
    text = "CONTACT: mailto:a@example.com\nexpires: 2021-12-31T18:37:07Z\nX-Bounty: none\n"
    result = parse(text)
    assert result.valid and result.contact == ("mailto:a@example.com",)
    assert [(f.name, f.value) for f in result.other_fields] == [("X-Bounty", "none")]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Expires: 2021-12-31T18:37:07Z\n", "no-contact"),
        ("Contact: mailto:a@example.com\n", "no-expires"),
        (MINIMAL + "Expires: 2021-11-30T00:00:00Z\n", "multiple-expires"),
        ("Contact: mailto:a@example.com\nExpires: 2021-12-31\n", "bad-expires"),
        ("Contact: mailto:a@example.com\nExpires: Fri, 31 Dec 2021 18:37:07 GMT\n",
         "bad-expires"),
        ("Contact: mailto:a@example.com\nExpires: 2021-12-31 18:37:07Z\n", "bad-expires"),
        ("Contact: mailto:a@example.com\nExpires: 2021-02-30T00:00:00Z\n", "bad-expires"),
        ("Contact: mailto:a@example.com\nExpires: 2021-05-31T23:59:59Z\n", "expired"),
        ("Contact: security@example.com\nExpires: 2021-12-31T18:37:07Z\n", "no-usable-contact"),
        ("", "no-contact"),
    ],
)
def test_fatal_problems(text, code):
    result = parse(text)
    assert code in codes(result) and not result.valid
    assert all(problem.message for problem in result.problems)


def test_bare_email_contact_gets_a_hint():
    result = parse("Contact: security@example.com\nExpires: 2021-12-31T18:37:07Z\n")
    assert any("mailto:security@example.com" in p.message for p in result.problems)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("Contact: http://example.com/security", "insecure-uri"),
        ("Policy: http://example.com/policy", "insecure-uri"),
        ("Contact: ftp://example.com/x", "unusual-uri"),
        ("Contact: mailto:nobody", "bad-uri"),
        ("Contact: tel:call-us", "bad-uri"),
        ("Contact: https://", "bad-uri"),
        ("Canonical: https://exa mple.com/", "bad-uri"),
        ("Preferred-Languages: en, 12345678901", "bad-language-tag"),
        ("Preferred-Languages: en\nPreferred-Languages: de", "multiple-preferred-languages"),
        ("Contact:", "empty-field"),
        ("Just some words", "bad-line"),
        ("Contact: mailto:" + "a" * 2100 + "@example.com", "field-too-long"),
    ],
)
def test_non_fatal_problems(line, code):
    result = parse(MINIMAL + line + "\n")
    assert code in codes(result)
    assert result.valid  # the good Contact and Expires still stand


def test_non_ascii_uri_is_usable_but_reported():
    result = parse("Contact: mailto:sécurité@exämple.com\nExpires: 2021-12-31T18:37:07Z\n")
    assert result.valid and result.contact == ("mailto:sécurité@exämple.com",)
    assert codes(result) == {"non-ascii-uri"}
    assert "bad-uri" in codes(parse(MINIMAL + "Policy: https://exämple.com/a b\n"))


def test_http_contact_alone_is_still_usable_but_reported():
    result = parse("Contact: http://example.com/security\nExpires: 2021-12-31T18:37:07Z\n")
    assert result.valid and result.contact == ("http://example.com/security",)
    assert "insecure-uri" in codes(result)


def test_expires_more_than_a_year_away_is_a_warning():
    result = parse(MINIMAL, now=datetime(2020, 1, 1, tzinfo=UTC))
    assert result.valid and "expires-far-future" in codes(result)
    assert "expires-far-future" not in codes(parse(MINIMAL, now=datetime(2021, 1, 1, tzinfo=UTC)))


def test_expiry_is_compared_as_an_instant():
    text = "Contact: mailto:a@example.com\nExpires: 2021-06-01T01:00:00+02:00\n"
    assert "expired" in codes(parse(text))  # 23:00 UTC the day before
    assert parse(text, now=datetime(2021, 5, 31, 22, tzinfo=UTC)).valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-12-31T18:37:07z", datetime(2021, 12, 31, 18, 37, 7, tzinfo=UTC)),
        ("2021-12-31t18:37:07.5Z", datetime(2021, 12, 31, 18, 37, 7, 500000, tzinfo=UTC)),
        ("1985-04-12T23:20:50.52Z", datetime(1985, 4, 12, 23, 20, 50, 520000, tzinfo=UTC)),
        ("1996-12-19T16:39:57-08:00",
         datetime(1996, 12, 19, 16, 39, 57, tzinfo=timezone(timedelta(hours=-8)))),
        ("1990-12-31T23:59:60Z", datetime(1990, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("1937-01-01T12:00:27.87+00:20",
         datetime(1937, 1, 1, 12, 0, 27, 870000, tzinfo=timezone(timedelta(minutes=20)))),
        ("2021-12-31", None), ("2021-12-31T18:37:07", None), ("2021-13-01T00:00:00Z", None),
        ("2021-12-31T25:00:00Z", None), ("2021-12-31T18:37:07+24:00", None), ("", None),
    ],
)
def test_rfc3339(text, expected):
    # RFC 3339 §5.8's examples, and what is not a date-time.
    assert parse_rfc3339(text) == expected


def test_byte_order_mark_and_crlf_and_bytes():
    result = parse(("\ufeff" + MINIMAL).replace("\n", "\r\n").encode("utf-8"))
    assert result.valid and result.problems == ()


def test_not_utf8_and_too_large():
    assert codes(parse(b"Contact: mailto:\xff@example.com\n")) == {"not-utf8"}
    big = MINIMAL + "# " + "x" * MAX_FILE_BYTES + "\n"
    assert codes(parse(big)) == {"too-large"}
    assert codes(parse(big.encode())) == {"too-large"}
    assert not parse(big).valid


def test_many_lines_and_html_pages():
    result = parse(MINIMAL + "#\n" * 1200)
    assert result.valid and "too-many-lines" in codes(result)
    html = parse("<!DOCTYPE html>\n<html>\n" + "<p>nothing here</p>\n" * 50)
    assert not html.valid and "looks-like-html" in codes(html)
    assert sum(code == "bad-line" for code in html.problem_codes) <= 11


def test_no_final_newline():
    assert "no-final-newline" in codes(parse(MINIMAL.rstrip("\n")))


def test_canonical_url_check():
    text = MINIMAL + "Canonical: https://example.com/.well-known/security.txt\n"
    assert "not-canonical" not in codes(
        parse(text, url="https://example.com/.well-known/security.txt"))
    assert "not-canonical" in codes(parse(text, url="https://evil.example/.well-known/security.txt"))


def test_bad_signature_armour():
    unterminated = RFC_SIGNED.split("-----BEGIN PGP SIGNATURE-----")[0]
    result = parse(unterminated)
    assert result.signed and result.valid and "bad-signature-armour" in codes(result)
    unclosed = RFC_SIGNED.replace("-----END PGP SIGNATURE-----\n", "")
    assert "bad-signature-armour" in codes(parse(unclosed))
    trailing = RFC_SIGNED + "Contact: mailto:evil@example.net\n"
    result = parse(trailing)
    assert "text-after-signature" in codes(result)
    assert result.contact == ("mailto:security@example.com",)
    middle = MINIMAL + "-----BEGIN PGP SIGNATURE-----\n"
    assert "bad-signature-armour" in codes(parse(middle))
    unsigned_canonical = RFC_SIGNED.replace("Canonical:", "X-Canonical:")
    assert "signed-without-canonical" in codes(parse(unsigned_canonical))


@pytest.mark.parametrize(
    "kwargs",
    [{"now": datetime(2021, 1, 1)}, {"now": "2021-01-01"}, {"now": NOW, "url": 42}],
)
def test_bad_arguments(kwargs):
    with pytest.raises(SecurityTxtError):
        parse_security_txt(MINIMAL, **kwargs)


@pytest.mark.parametrize("value", [None, 42, ["Contact: x"]])
def test_non_text_input(value):
    with pytest.raises(SecurityTxtError, match="text or bytes"):
        parse_security_txt(value, now=NOW)


# -- fuzzing --------------------------------------------------------------------------------


def _check(text):
    result = parse(text)
    assert isinstance(result, SecurityTxt)
    assert result.valid == (not any(problem.fatal for problem in result.problems))
    if result.valid:
        assert result.contact and result.expires is not None and result.expires > NOW
    json.dumps(result.to_json())
    return result


@FUZZ
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400)))
def test_fuzz_arbitrary_input(text):
    _check(text)


_LINES = [
    "Contact: mailto:security@example.com", "contact: https://example.com/c",
    "Contact: http://example.com/c", "Contact: tel:+1-201-555-0123", "Contact: nobody",
    "Expires: 2021-12-31T18:37:07Z", "EXPIRES: 2021-01-01T00:00:00Z", "Expires: soon",
    "Preferred-Languages: en, fr", "Canonical: https://example.com/.well-known/security.txt",
    "Encryption: https://example.com/key.txt", "# comment", "", "   ", "garbage", ":",
    "X-Ext: value", "- Contact: mailto:dashed@example.com",
    "-----BEGIN PGP SIGNED MESSAGE-----", "Hash: SHA256", "-----BEGIN PGP SIGNATURE-----",
    "-----END PGP SIGNATURE-----",
]


@FUZZ
@given(st.lists(st.sampled_from(_LINES), max_size=20), st.sampled_from(["\n", "\r\n"]))
def test_fuzz_near_valid_files(lines, newline):
    result = _check(newline.join(lines) + newline)
    plain = [line for line in lines if not line.startswith(("-", "Hash"))]
    if plain and set(plain) <= {"Contact: mailto:security@example.com",
                                "Expires: 2021-12-31T18:37:07Z", "# comment", ""} \
            and plain.count("Expires: 2021-12-31T18:37:07Z") == 1 \
            and "Contact: mailto:security@example.com" in plain and len(plain) == len(lines):
        assert result.valid
