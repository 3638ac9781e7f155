from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.protocols.http_headers import (
    MAX_HEADER_CHARS,
    Cookie,
    Hsts,
    HttpHeaderError,
    ReferrerPolicy,
    XFrameOptions,
    nosniff,
    parse_cookie_date,
    parse_hsts,
    parse_referrer_policy,
    parse_set_cookie,
    parse_x_frame_options,
    split_header_list,
)

FUZZ = settings(max_examples=300, deadline=None)


# -- split_header_list (Fetch "get, decode, and split") ---------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", [""]), ("a", ["a"]), ("a, b", ["a", "b"]), (" a ,\tb ", ["a", "b"]),
        ("a,", ["a", ""]), ('"a, b", c', ['"a, b"', "c"]), ('x"a\\", b"y, z', ['x"a\\", b"y', "z"]),
        ('"unterminated, x', ['"unterminated, x']), ('"\\', ['"\\']),
    ],
)
def test_split_header_list(value, expected):
    assert split_header_list(value) == expected


# -- Strict-Transport-Security (RFC 6797) ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "max_age", "subdomains"),
    [
        # RFC 6797 §6.2's examples.
        ("max-age=31536000", 31536000, False),
        ("max-age=15768000 ; includeSubDomains", 15768000, True),
        ('max-age="31536000"', 31536000, False),
        ("max-age=0", 0, False),
        ("max-age=0; includeSubDomains", 0, True),
    ],
)
def test_rfc6797_examples(value, max_age, subdomains):
    hsts = parse_hsts(value)
    assert hsts.valid and hsts.problems == ()
    assert (hsts.max_age, hsts.include_subdomains, hsts.preload) == (max_age, subdomains, False)
    assert json.dumps(hsts.to_json())


def test_preload_list_example_and_case_insensitive_names():
    hsts = parse_hsts("MAX-AGE=63072000; IncludeSubdomains; PRELOAD")
    assert hsts.valid and hsts.include_subdomains and hsts.preload
    assert hsts.result == "hsts-implemented-max-age-at-least-six-months"


def test_whitespace_empty_directives_and_unknown_directives():
    hsts = parse_hsts(' ; max-age = 600 ;; foo="bar; baz" ; x-ext ;')
    assert hsts.valid and hsts.max_age == 600
    assert hsts.result == "hsts-implemented-max-age-less-than-six-months"


def test_quoted_max_age_with_escapes():
    assert parse_hsts('max-age="3\\1536000"').max_age == 31536000


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("includeSubDomains; preload", "the required max-age directive is missing"),
        ("", "the required max-age directive is missing"),
        ("max-age", "max-age has no value"),
        ("max-age=", "cannot read the header"),
        ("max-age=", "no max-age directive could be read"),
        ("max-age=-1", "not a whole number"),
        ("max-age=1y", "not a whole number"),
        ("max-age=1.5", "not a whole number"),
        ('max-age="1²"', "not a whole number"),
        ('max-age="１２"', "cannot read the header"),
        ("max-age=1; max-age=2", "appears more than once"),
        ("max-age=1; includeSubDomains; INCLUDESUBDOMAINS", "appears more than once"),
        ("max-age=1; includeSubDomains=yes", "takes no value"),
        ("max-age=1 includeSubDomains", "cannot read the header"),
        ('max-age="1', "cannot read the header"),
        ("max-age=1; foo=bar baz", "cannot read the header"),
        ("max-age=1; [x]", "cannot read the header"),
        ("☃; max-age=1", "cannot read the header"),
    ],
)
def test_invalid_headers(value, message):
    hsts = parse_hsts(value)
    assert not hsts.valid and hsts.result == "hsts-header-invalid"
    assert any(message in problem for problem in hsts.problems), hsts.problems


def test_a_repeated_header_uses_the_first():
    # RFC 6797 §8.1: only the first header field counts (the Observatory calls this invalid).
    hsts = parse_hsts("max-age=15768000; includeSubDomains, max-age=15768000; includeSubDomains")
    assert hsts.valid and hsts.max_age == 15768000
    assert any("more than once" in warning for warning in hsts.warnings)
    assert parse_hsts("max-age=1, garbage garbage").valid


def test_warnings():
    assert any("forget" in w for w in parse_hsts("max-age=0").warnings)
    assert any("preload list" in w for w in parse_hsts("max-age=99999999; preload").warnings)
    assert any("no value" in w for w in parse_hsts("max-age=9; preload=1").warnings)


def test_huge_max_age_is_clamped_not_crashing():
    hsts = parse_hsts("max-age=" + "9" * 5000)
    assert hsts.valid and hsts.max_age == 2**63 - 1
    assert parse_hsts("max-age=" + "0" * 5000 + "42").max_age == 42


# -- Set-Cookie (RFC 6265bis) ------------------------------------------------------------


def test_rfc6265_examples():
    # RFC 6265 §3.1 / RFC 6265bis §3.1 examples.
    cookie = parse_set_cookie("SID=31d4d96e407aad42")
    assert (cookie.name, cookie.value_length, cookie.persistent) == ("SID", 16, False)
    cookie = parse_set_cookie("SID=31d4d96e407aad42; Path=/; Domain=example.com")
    assert (cookie.path, cookie.domain) == ("/", "example.com")
    cookie = parse_set_cookie("SID=31d4d96e407aad42; Path=/; Secure; HttpOnly")
    assert cookie.secure and cookie.http_only and cookie.rejected is None
    cookie = parse_set_cookie("lang=en-US; Path=/; Domain=example.com")
    assert not cookie.secure and cookie.same_site == "Default"
    cookie = parse_set_cookie("lang=en-US; Expires=Wed, 09 Jun 2021 10:18:14 GMT")
    assert cookie.has_expires and cookie.expires == datetime(2021, 6, 9, 10, 18, 14, tzinfo=UTC)
    cookie = parse_set_cookie("lang=; Expires=Sun, 06 Nov 1994 08:49:37 GMT")
    assert cookie.name == "lang" and cookie.value_length == 0 and cookie.persistent
    assert json.dumps(cookie.to_json())


def test_attribute_names_are_case_insensitive_and_unknown_ones_ignored():
    cookie = parse_set_cookie("a=b; SECURE; httponly; SameSite=lax; Priority=High; Partitioned;"
                              " max-AGE=60; dOmAiN=.Example.COM; PATH=/app")
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"
    assert (cookie.max_age, cookie.has_max_age, cookie.domain, cookie.path) == \
        (60, True, "example.com", "/app")
    assert cookie.problems == ()


@pytest.mark.parametrize(
    ("attribute", "same_site", "problem"),
    [
        ("SameSite=Strict", "Strict", False), ("samesite=STRICT", "Strict", False),
        ("SameSite=Lax", "Lax", False), ("SameSite=None; Secure", "None", False),
        ("SameSite", "Default", True), ("SameSite=bogus", "Default", True),
        ("SameSite=NoneOfYourBusiness; Secure", "Default", True),
        ("SameSite=StrictLax", "Default", True), ("", "Default", False),
    ],
)
def test_same_site(attribute, same_site, problem):
    # RFC 6265bis §5.6.7: exact, case-insensitive matches only (cf. CVE-2026-11525).
    cookie = parse_set_cookie(f"a=b; {attribute}")
    assert cookie.same_site == same_site
    assert bool(cookie.problems) == problem


def test_last_attribute_wins():
    cookie = parse_set_cookie("a=b; Path=/x; Path=/y; SameSite=Lax; SameSite=Strict; "
                              "Domain=a.example; Domain=b.example; Max-Age=5; Max-Age=7")
    assert (cookie.path, cookie.same_site, cookie.domain, cookie.max_age) == \
        ("/y", "Strict", "b.example", 7)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a=b; SameSite=None", "SameSite=None requires the Secure attribute"),
        ("__Secure-id=1; Path=/", "a __Secure- cookie requires the Secure attribute"),
        ("__secure-id=1", "a __Secure- cookie requires the Secure attribute"),
        ("__Host-id=1; Secure", "a __Host- cookie requires"),
        ("__Host-id=1; Secure; Path=/; Domain=example.com", "a __Host- cookie requires"),
        ("__Host-id=1; Path=/", "a __Host- cookie requires"),
        ("__Host-id=1; Secure; Path=/app", "a __Host- cookie requires"),
        ("a=b\x00c", "control characters"),
        ("a=b; Path=/\x7f", "control characters"),
        ("a=" + "x" * 4096, "longer than 4096 bytes"),
        ("=", "neither a name nor a value"),
        ("  ;Secure", "neither a name nor a value"),
    ],
)
def test_cookies_browsers_drop(value, reason):
    assert reason in (parse_set_cookie(value).rejected or "")


def test_cookies_browsers_keep():
    for value in ["__Host-id=1; Secure; Path=/", "__Secure-id=1; Secure; Domain=example.com",
                  "a=b; SameSite=None; Secure", "nameless", "a=b\tc", "x" * 4095 + "=y"]:
        assert parse_set_cookie(value).rejected is None, value
    assert parse_set_cookie("nameless").name == ""


@pytest.mark.parametrize(
    ("attribute", "field", "expected", "problem"),
    [
        ("Max-Age=-1", "max_age", -1, False), ("Max-Age=0", "max_age", 0, False),
        ("Max-Age=+5", "max_age", None, True), ("Max-Age=1.5", "max_age", None, True),
        ("Max-Age=", "max_age", None, True), ("Expires=tomorrow", "expires", None, True),
        ("Path=app", "path", None, False), ("Path=", "path", None, False),
        ("Domain=", "domain", None, False), ("Domain=.", "domain", None, False),
        ("Path=/" + "a" * 1024, "path", None, True),
    ],
)
def test_ignored_or_defaulted_attributes(attribute, field, expected, problem):
    cookie = parse_set_cookie(f"a=b; {attribute}")
    assert getattr(cookie, field) == expected
    assert bool(cookie.problems) == problem


def test_observatory_name_guesses():
    assert parse_set_cookie("PHPSESSID=1").looks_like_session
    assert parse_set_cookie("wp_login_x=1").looks_like_session
    assert parse_set_cookie("csrftoken=1").looks_like_csrf_token
    assert not parse_set_cookie("lang=en").looks_like_session


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("Sunday, 06-Nov-94 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("Sun Nov  6 08:49:37 1994", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("Wed, 09 Jun 2021 10:18:14 GMT", datetime(2021, 6, 9, 10, 18, 14, tzinfo=UTC)),
        ("09-JUNE-21 10:18:14", datetime(2021, 6, 9, 10, 18, 14, tzinfo=UTC)),
        ("Thu, 01 Jan 1970 00:00:00 GMT", datetime(1970, 1, 1, tzinfo=UTC)),
        ("1 jan 69 1:2:3", datetime(2069, 1, 1, 1, 2, 3, tzinfo=UTC)),
        ("Wed, 31 Feb 2021 10:18:14 GMT", None), ("Wed, 09 Jun 1600 10:18:14 GMT", None),
        ("Wed, 09 Jun 2021 24:00:00 GMT", None), ("Wed, 32 Jun 2021 10:18:14 GMT", None),
        ("Wed, 09 Jun 2021", None), ("", None), ("2021-06-09T10:18:14Z", None),
    ],
)
def test_cookie_dates(text, expected):
    # RFC 6265bis §5.1.1 (the first three are RFC 7231 §7.1.1.1's three date formats).
    assert parse_cookie_date(text) == expected


def test_cookie_date_of_non_text():
    assert parse_cookie_date(None) is None


# -- Referrer-Policy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "policy", "result", "leaks"),
    [
        # The Observatory's test values (test/referrer-policy.test.js).
        ("no-referrer", "no-referrer", "referrer-policy-private", False),
        ("same-origin", "same-origin", "referrer-policy-private", False),
        ("strict-origin", "strict-origin", "referrer-policy-private", False),
        ("STRICT-ORIGIN", "strict-origin", "referrer-policy-private", False),
        ("strict-origin-when-cross-origin", "strict-origin-when-cross-origin",
         "referrer-policy-private", False),
        ("no-referrer, same-origin", "same-origin", "referrer-policy-private", False),
        ("unsafe-url, no-referrer, same-origin", "same-origin", "referrer-policy-private", False),
        ("whimsy", None, "referrer-policy-header-invalid", False),
        ("origin", "origin", "referrer-policy-unsafe", False),
        ("origin-when-cross-origin", "origin-when-cross-origin", "referrer-policy-unsafe", False),
        ("unsafe-url", "unsafe-url", "referrer-policy-unsafe", True),
        ("origin-when-cross-origin, no-referrer, unsafe-url", "unsafe-url",
         "referrer-policy-unsafe", True),
        ("no-referrer, unsafe-url", "unsafe-url", "referrer-policy-unsafe", True),
        ("no-referrer, whimsy", "no-referrer", "referrer-policy-private", False),
        ("whimsy, whimsy1, whimsy2", None, "referrer-policy-header-invalid", False),
        # And the rest.
        ("no-referrer-when-downgrade", "no-referrer-when-downgrade", "referrer-policy-unsafe",
         True),
        ("unsafe-url, strict-origin-when-cross-origin", "strict-origin-when-cross-origin",
         "referrer-policy-private", False),
        ("", None, "referrer-policy-header-invalid", False),
        (" , ,", None, "referrer-policy-header-invalid", False),
    ],
)
def test_referrer_policy(value, policy, result, leaks):
    parsed = parse_referrer_policy(value)
    assert (parsed.policy, parsed.result, parsed.leaks_full_url_cross_origin) == \
        (policy, result, leaks)
    assert json.dumps(parsed.to_json())


def test_referrer_policy_default_and_unrecognised():
    parsed = parse_referrer_policy("whimsy, no-referrer")
    assert parsed.unrecognised == ("whimsy",) and parsed.tokens == ("whimsy", "no-referrer")
    assert parse_referrer_policy("whimsy").effective == "strict-origin-when-cross-origin"


# -- X-Frame-Options ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "mode", "result"),
    [
        # The Observatory's test values (test/x-frame-options.test.js).
        ("whimsy", None, "x-frame-options-header-invalid"),
        ("SAMEORIGIN, SAMEORIGIN", "sameorigin", "x-frame-options-sameorigin-or-deny"),
        ("ALLOW-FROM https://mozilla.org", None, "x-frame-options-allow-from-origin"),
        ("DENY", "deny", "x-frame-options-sameorigin-or-deny"),
        ("DENY ", "deny", "x-frame-options-sameorigin-or-deny"),
        # HTML's processing model.
        ("sameorigin", "sameorigin", "x-frame-options-sameorigin-or-deny"),
        ("DENY, SAMEORIGIN", "deny", "x-frame-options-sameorigin-or-deny"),
        ("allowall, whimsy", "deny", "x-frame-options-sameorigin-or-deny"),
        ("ALLOWALL", None, "x-frame-options-header-invalid"),
        ("whimsy, other", None, "x-frame-options-header-invalid"),
        ("", None, "x-frame-options-header-invalid"),
        ('"DENY"', None, "x-frame-options-header-invalid"),
    ],
)
def test_x_frame_options(value, mode, result):
    parsed = parse_x_frame_options(value)
    assert (parsed.mode, parsed.result, parsed.protects) == (mode, result, mode is not None)
    assert json.dumps(parsed.to_json())


def test_allow_from_is_obsolete():
    parsed = parse_x_frame_options("ALLOW-FROM https://mozilla.org")
    assert parsed.allow_from and not parsed.protects
    assert any("obsolete" in problem for problem in parsed.problems)


# -- X-Content-Type-Options --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nosniff", True), ("NoSniff", True), (" nosniff ", True), ("nosniff, nosniff", True),
        ("nosniff, whatever", True), ("whatever, nosniff", False), ("no-sniff", False),
        ("", False), (None, False), ('"nosniff"', False),
    ],
)
def test_nosniff(value, expected):
    # Fetch "determine nosniff": the first value, ASCII case-insensitively.
    assert nosniff(value) is expected


# -- input checks and fuzzing ------------------------------------------------------------

_PARSERS = [parse_hsts, parse_set_cookie, parse_referrer_policy, parse_x_frame_options, nosniff]


@pytest.mark.parametrize("parser", _PARSERS)
@pytest.mark.parametrize("value", [42, b"nosniff", ["a"]])
def test_non_text_input(parser, value):
    with pytest.raises(HttpHeaderError, match="must be text"):
        parser(value)


@pytest.mark.parametrize("parser", _PARSERS)
def test_oversized_input_is_refused_quickly(parser):
    started = time.monotonic()
    with pytest.raises(HttpHeaderError, match="longer than"):
        parser("a" * (MAX_HEADER_CHARS + 1))
    parser(";" * MAX_HEADER_CHARS)  # the largest accepted value is read quickly
    parser('"' + "\\" * (MAX_HEADER_CHARS - 1))
    parser("a=b;" * (MAX_HEADER_CHARS // 4))
    assert time.monotonic() - started < 2


_RESULT_TYPES = {parse_hsts: Hsts, parse_set_cookie: Cookie,
                 parse_referrer_policy: ReferrerPolicy, parse_x_frame_options: XFrameOptions}


def _check_all(text):
    for parser, kind in _RESULT_TYPES.items():
        result = parser(text)
        assert isinstance(result, kind)
        json.dumps(result.to_json())
        assert isinstance(result.result if hasattr(result, "result") else "", str)
    assert isinstance(nosniff(text), bool)
    assert parse_cookie_date(text) is None or parse_cookie_date(text).tzinfo is UTC
    assert isinstance(split_header_list(text), list)


@FUZZ
@given(st.text(max_size=300))
def test_fuzz_arbitrary_text(text):
    _check_all(text)


_PIECES = ["max-age", "MAX-AGE", "=", "31536000", '"31536000"', '"', "\\", ";", ",", " ", "\t",
           "includeSubDomains", "preload", "SameSite", "Strict", "None", "Secure", "HttpOnly",
           "Path", "/", "Domain", ".example.com", "Expires", "Sun, 06 Nov 1994 08:49:37 GMT",
           "Max-Age", "-1", "__Host-", "__Secure-", "sid", "no-referrer", "unsafe-url", "DENY",
           "SAMEORIGIN", "ALLOW-FROM", "nosniff", "\x00", "é"]


@FUZZ
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_fuzz_near_valid_values(pieces):
    _check_all("".join(pieces))
    hsts = parse_hsts("".join(pieces))
    if hsts.valid:
        assert hsts.max_age is not None and hsts.max_age >= 0
