from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.protocols.csp import (
    MAX_CSP_CHARS,
    OBSERVATORY_MODIFIERS,
    RESULT_TEXTS,
    Csp,
    CspAssessment,
    CspError,
    Policy,
    assess,
    classify_source,
    evaluate,
    parse_csp,
)

FUZZ = settings(max_examples=300, deadline=None)
HASH_A = "'sha256-hqBEA/HXB3aJU2FgOnYN8rkAgEVgyfi3Vs1j2/XMPBA='"
HASH_B = "'sha256-hqBEA/HXB3aJU2FgOnYN8rkAgEVgyfi3Vs1j2/XMPBB='"


# -- parsing (CSP3 §2.2) ------------------------------------------------------------------


def test_directives_in_order_with_sources_as_written():
    csp = parse_csp("default-src 'self'; img-src *; script-src https://CDN.example.com/js/ 'Self'")
    (policy,) = csp.policies
    assert policy.names == ("default-src", "img-src", "script-src")
    assert policy.get("SCRIPT-SRC") == ("https://CDN.example.com/js/", "'Self'")
    assert policy.get("object-src") is None and policy.source == "header"
    assert csp.warnings == () and json.dumps(csp.to_json())


def test_directive_names_are_case_insensitive():
    # CSP3 §2.2.1 step 3.4's note: "script-SRC 'none'" and "ScRiPt-sRc 'none'" are equivalent.
    assert parse_csp("script-SRC 'none'").policies[0].names == ("script-src",)
    assert parse_csp("ScRiPt-sRc 'none'").policies[0].get("script-src") == ("'none'",)


def test_first_occurrence_wins():
    policy = parse_csp("script-src 'self'; SCRIPT-SRC 'unsafe-inline'; img-src 'none'").policies[0]
    assert policy.get("script-src") == ("'self'",)
    assert policy.duplicates == ("script-src",)
    assert "script-src appears more than once; browsers use the first" in " ".join(
        parse_csp("script-src a; script-src b").warnings)


def test_comma_separates_policies_and_all_are_returned():
    csp = parse_csp("default-src 'self', script-src https://a.example, img-src 'none'")
    assert [p.names for p in csp.policies] == [("default-src",), ("script-src",), ("img-src",)]


def test_empty_policies_and_tokens_are_skipped():
    csp = parse_csp(" ;; default-src 'none' ;;, , ")
    assert len(csp.policies) == 1
    assert "policy 2 is empty; browsers skip it" in csp.warnings


def test_ascii_whitespace_only():
    policy = parse_csp("script-src\t'self'\n https://a.example\f\r").policies[0]
    assert policy.get("script-src") == ("'self'", "https://a.example")
    # VT (\x0b) is not ASCII whitespace in Infra, so it stays inside the source.
    assert parse_csp("script-src a\x0bb").policies[0].get("script-src") == ("a\x0bb",)


def test_non_ascii_tokens_are_skipped():
    csp = parse_csp("script-src 'self'; img-src ☃.example; object-src 'none'")
    policy = csp.policies[0]
    assert policy.names == ("script-src", "object-src")
    assert policy.skipped == ("img-src ☃.example",)
    assert any("non-ASCII" in warning for warning in csp.warnings)


def test_directive_without_value_and_unknown_directives():
    policy = parse_csp("upgrade-insecure-requests; defualt-src 'self'").policies[0]
    assert policy.get("upgrade-insecure-requests") == ()
    assert policy.unknown == ("defualt-src",)


def test_meta_policies_drop_header_only_directives():
    # CSP3 §3.3: report-uri, frame-ancestors and sandbox are not supported in <meta>.
    csp = parse_csp("default-src 'self'; frame-ancestors 'none'; sandbox; report-uri /r",
                    source="meta")
    (policy,) = csp.policies
    assert policy.names == ("default-src",) and policy.source == "meta"
    assert policy.removed == ("frame-ancestors", "sandbox", "report-uri")


def test_meta_is_one_policy_even_with_a_comma():
    csp = parse_csp("default-src 'self', img-src 'none'", source="meta")
    assert len(csp.policies) == 1
    assert csp.policies[0].get("default-src") == ("'self',", "img-src", "'none'")
    assert any("comma" in warning for warning in csp.warnings)


def test_meta_with_only_removed_directives_is_kept_but_empty():
    csp = parse_csp("frame-ancestors 'none'", source="meta")
    assert csp.policies[0].directives == () and csp.policies[0].removed == ("frame-ancestors",)


@pytest.mark.parametrize("text", ["", "   ", "\r\n", ";;;", ",", " , ; ,", "☃"])
def test_no_directives_is_an_error(text):
    with pytest.raises(CspError, match="no directives"):
        parse_csp(text)


@pytest.mark.parametrize("value", [None, 42, b"default-src 'self'"])
def test_non_text_input(value):
    with pytest.raises(CspError, match="must be text"):
        parse_csp(value)


def test_bad_source_argument():
    with pytest.raises(CspError, match="source must be"):
        parse_csp("default-src 'self'", source="body")


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("'none'", "none"), ("'NONE'", "none"), ("'self'", "keyword"),
        ("'Unsafe-Inline'", "keyword"), ("'strict-dynamic'", "keyword"),
        ("'nonce-ch4hvvbHDpv7xCSvXCs3BrNggHdTzxUA'", "nonce"), ("'nonce-'", "invalid"),
        (HASH_A, "hash"), ("'sha1-abc'", "invalid"), ("https:", "scheme"), ("data:", "scheme"),
        ("example.com", "host"), ("*.example.com", "host"), ("*", "host"),
        ("https://example.com/path/to/file.js", "host"), ("https://*.example.com:12/p", "host"),
        ("'self", "invalid"), ("https://", "invalid"),
    ],
)
def test_classify_source(source, kind):
    # CSP3 §2.3.1's examples and grammar.
    assert classify_source(source) == kind


# -- assessment: the HTTP Observatory's own test values (test/csp.test.js) ----------------

OBSERVATORY_CASES = {
    "csp-implemented-with-unsafe-inline": [
        "default-src 'none'; script-src https://*",
        "default-src 'none'; script-src 'unsafe-inline'",
        "script-src 'unsafe-inline'", "script-src data:", "script-src http:", "script-src ftp:",
        "default-src 'unsafe-inline'", "default-src 'UNSAFE-INLINE'", "upgrade-insecure-requests",
        "script-src 'none'", "script-src https:", "script-src https://mozilla.org https:",
        "default-src https://mozilla.org https:", "default-src 'none'; script-src *",
        "default-src *; script-src *; object-src 'none'",
        "default-src 'none'; script-src 'none'; object-src *",
        "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'",
        "default-src 'none'; script-src 'unsafe-inline' http:",
        "object-src https:; script-src 'none'",
    ],
    "csp-implemented-with-insecure-scheme": [
        "default-src http://mozilla.org", "default-src 'none'; script-src http://mozilla.org",
        "default-src 'none'; script-src ftp://mozilla.org",
    ],
    "csp-implemented-with-insecure-scheme-in-passive-content-only": [
        "default-src 'none'; img-src http://mozilla.org", "default-src 'self'; img-src ftp:",
        "default-src 'self'; img-src http:",
        "default-src 'none'; img-src https:; media-src http://mozilla.org",
        "default-src 'none'; img-src http: https:; script-src 'self'; style-src 'self'",
        "default-src 'none'; img-src 'none'; media-src http:; script-src 'self'; style-src 'self'",
        "default-src 'none'; img-src 'none'; media-src http:; script-src 'self'; "
        "style-src 'unsafe-inline'",
    ],
    "csp-implemented-with-unsafe-eval": ["default-src 'none'; script-src 'unsafe-eval'"],
    "csp-implemented-with-unsafe-inline-in-style-src-only": [
        "object-src 'none'; script-src 'none'; style-src 'unsafe-inline'",
        "default-src 'none'; script-src https://mozilla.org; style-src 'unsafe-inline'",
        "default-src 'unsafe-inline'; script-src https://mozilla.org",
        "default-src 'none';;; ;;;style-src 'self' 'unsafe-inline'",
        "default-src 'none'; style-src data:", "default-src 'none'; style-src *",
        "default-src 'none'; style-src https:",
        f"default-src 'none'; style-src 'unsafe-inline'; script-src {HASH_B} 'unsafe-inline'",
    ],
    "csp-implemented-with-no-unsafe": [
        "default-src https://mozilla.org",
        "default-src https://mozilla.org;;; ;;;script-src 'none'",
        "object-src 'none'; script-src https://mozilla.org; style-src https://mozilla.org; "
        "upgrade-insecure-requests;",
        "object-src 'none'; script-src 'strict-dynamic' 'nonce-abc' 'unsafe-inline'; "
        "style-src 'none'",
        f"object-src 'none'; style-src 'self';script-src {HASH_A}",
        "object-src 'none'; script-src 'unsafe-inline' 'nonce-abc123' 'unsafe-inline'; "
        "style-src 'none'",
        "default-src https://mozilla.org; style-src 'unsafe-inline' 'nonce-abc123' "
        "'unsafe-inline'",
        f"default-src https://mozilla.org; style-src 'unsafe-inline' {HASH_B} 'unsafe-inline'",
    ],
    "csp-implemented-with-no-unsafe-default-src-none": [
        "default-src",
        "default-src 'none'; script-src 'strict-dynamic' 'nonce-abc123' 'unsafe-inline'",
        "default-src 'none'; script-src https://mozilla.org; style-src https://mozilla.org; "
        "upgrade-insecure-requests;",
        "default-src 'none'; object-src https://mozilla.org",
        "default-src 'none'; script-src 'strict-dynamic' 'nonce-abc123'",
        "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123'",
        "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123' https://*",
        "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123' 'unsafe-inline'",
    ],
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(value, result) for result, values in OBSERVATORY_CASES.items() for value in values],
)
def test_observatory_cases(value, expected):
    assessment = assess(value)
    assert assessment.result == expected
    assert assessment.passed == (expected in {
        "csp-implemented-with-no-unsafe", "csp-implemented-with-no-unsafe-default-src-none",
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        "csp-implemented-with-insecure-scheme-in-passive-content-only"})
    assert assessment.http and not assessment.meta and assessment.policy_count == 1
    json.dumps(assessment.to_json())


def test_observatory_policy_flags():
    # The "policy analysis" part of the Observatory's tests.
    for value in ["default-src 'none'", "frame-ancestors *", "frame-ancestors http:",
                  "frame-ancestors https:"]:
        assert not assess(value).framing_protected
    assert assess("default-src *; frame-ancestors 'none'").framing_protected
    for value in ["default-src 'none'; base-uri *; object-src *",
                  "default-src 'none'; base-uri https:; object-src https:", "default-src *"]:
        assessment = assess(value)
        assert not assessment.base_uri_restricted and not assessment.objects_restricted
    for value in ["default-src *; base-uri 'none'", "default-src 'none'; base-uri 'self'",
                  "default-src 'none'; base-uri https://mozilla.org"]:
        assert assess(value).base_uri_restricted
    for value in ["default-src * http: https: data: 'unsafe-inline' 'unsafe-eval'",
                  "default-src 'none'; img-src http:",
                  "default-src 'none' https://mozilla.org; img-src http://mozilla.org",
                  "default-src https:; media-src http://mozilla.org; script-src http:"]:
        assert assess(value).insecure_scheme_passive
    for value in ["default-src *; form-action 'none'", "default-src *; form-action 'self'",
                  "default-src 'none'; form-action 'self' https://mozilla.org",
                  "form-action 'self' https://mozilla.org"]:
        assert assess(value).form_action_restricted
    for value in ["default-src *", "default-src 'none'", "form-action https:"]:
        assert not assess(value).form_action_restricted
    assert assess("default-src 'none'; script-src 'strict-dynamic' 'nonce-abc123'").strict_dynamic


def test_unsafe_eval_alone():
    assessment = assess("default-src 'none'; script-src 'unsafe-eval'")
    assert assessment.unsafe_eval and "csp-unsafe-eval" in assessment.keys
    assert assessment.observatory_modifier == -10


def test_not_implemented_and_report_only():
    assert assess().result == "csp-not-implemented"
    assert evaluate([]).result == "csp-not-implemented"
    assessment = assess(report_only="default-src 'none'; report-to /_/csp-reports")
    assert assessment.result == "csp-not-implemented-but-reporting-enabled"
    assert not assessment.passed and assessment.keys == (assessment.result,)


def test_meta_frame_ancestors_does_not_count():
    # frame-ancestors is ignored in <meta>, so a meta-only policy of it is no policy at all.
    assert assess(meta="frame-ancestors 'none'").result == "csp-not-implemented"
    assessment = assess(meta="default-src 'none'; frame-ancestors 'none'")
    assert assessment.result == "csp-implemented-with-no-unsafe-default-src-none"
    assert assessment.meta and not assessment.http and not assessment.framing_protected
    assert "csp-meta-directives-ignored" in assessment.keys


@pytest.mark.parametrize("value", ["", "  ", "\r\n", ";"])
def test_unreadable_header_is_invalid(value):
    assessment = assess(value)
    assert assessment.result == "csp-header-invalid" and not assessment.passed
    assert assessment.errors and assessment.observatory_modifier == -25


# -- assessment: the brief's questions, and deviations -------------------------------------


def test_strict_policy_findings():
    assessment = assess(
        "default-src 'none'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    assert assessment.result == "csp-implemented-with-no-unsafe-default-src-none"
    assert assessment.scripts_restricted and assessment.objects_restricted
    assert assessment.framing_protected and assessment.base_uri_restricted
    assert assessment.form_action_restricted and assessment.default_src_none
    assert {f.level for f in assessment.findings} == {"good"}
    assert assessment.explanation == RESULT_TEXTS[assessment.result]


def test_weak_policy_findings():
    assessment = assess("script-src 'self' 'unsafe-inline' https: data:")
    assert assessment.result == "csp-implemented-with-unsafe-inline"
    assert assessment.unsafe_inline_scripts and not assessment.scripts_restricted
    assert assessment.broad_script_sources == ("https:", "data:")
    assert {"csp-script-src-unsafe-inline", "csp-script-src-broad", "csp-object-src-unrestricted",
            "csp-no-frame-ancestors", "csp-base-uri-unrestricted",
            "csp-form-action-unrestricted"} <= set(assessment.keys)
    assert all(f.explanation for f in assessment.findings)


def test_no_script_directive_at_all():
    assessment = assess("img-src 'self'")
    assert assessment.result == "csp-implemented-with-unsafe-inline"
    assert "csp-scripts-unrestricted" in assessment.keys
    assert "csp-script-src-broad" not in assessment.keys


def test_unsafe_inline_with_nonce_is_ignored_and_said_so():
    assessment = assess("default-src 'self'; script-src 'self' 'nonce-r4nd0m' 'unsafe-inline'; "
                        "object-src 'none'")
    assert not assessment.unsafe_inline_scripts
    assert "csp-unsafe-inline-ignored" in assessment.keys


def test_malformed_hash_does_not_cancel_unsafe_inline():
    # The Observatory's own "no unsafe" case glues two hashes into one token; that is no
    # hash-source (CSP3 §2.3.1), so browsers keep 'unsafe-inline' (a documented deviation).
    value = f"object-src 'none'; style-src 'self'; script-src 'unsafe-inline' {HASH_A}{HASH_B}"
    assert assess(value).result == "csp-implemented-with-unsafe-inline"
    assert assess("script-src 'unsafe-inline' 'nonce-'; object-src 'none'").unsafe_inline_scripts


def test_script_src_elem_and_attr_count():
    value = "default-src 'self'; object-src 'none'; script-src-elem 'self' 'unsafe-inline'"
    assert assess(value).result == "csp-implemented-with-unsafe-inline"
    value = "default-src 'self'; object-src 'none'; script-src-attr 'unsafe-inline'"
    assert assess(value).unsafe_inline_scripts
    value = "default-src 'self'; object-src 'none'; script-src-elem 'self' 'nonce-abc' " \
            "'unsafe-inline'"
    assert assess(value).result == "csp-implemented-with-no-unsafe"


def test_duplicates_pass_with_their_own_key_and_a_deviation_note():
    assessment = assess("default-src 'none'; default-src 'none'")
    assert assessment.result == "csp-implemented-but-duplicate-directives" and assessment.passed
    assert "csp-duplicate-directives" in assessment.keys
    assert any("csp-header-invalid" in note for note in assessment.deviations)
    # The first occurrence decides: a later weak copy changes nothing.
    assert assess("script-src 'self'; script-src *; object-src 'none'").scripts_restricted
    # Repeated report-uri is the Observatory's own duplicate case: no deviation.
    report = assess("default-src 'none'; report-uri /a; report-uri /b")
    assert report.result == "csp-implemented-but-duplicate-directives" and not report.deviations


def test_strict_dynamic_without_nonce():
    assessment = assess("default-src 'none'; script-src 'strict-dynamic'")
    assert "csp-strict-dynamic-without-nonce" in assessment.keys
    assert any("strict-dynamic" in note for note in assessment.deviations)
    assert not assessment.strict_dynamic


def test_short_policy_deviation():
    assessment = assess("defa")
    assert assessment.result == "csp-implemented-with-unsafe-inline"
    assert "csp-unknown-directives" in assessment.keys
    assert any("six characters" in note for note in assessment.deviations)


def test_http_sources_only_matter_on_https_sites():
    assert assess("default-src http://a.example").result == "csp-implemented-with-insecure-scheme"
    plain = assess("default-src http://a.example", secure_origin=False)
    assert plain.result == "csp-implemented-with-no-unsafe" and not plain.insecure_scheme_active
    # report-uri is not a source list (the Observatory counts it; we do not).
    value = "default-src 'none'; report-uri http://r.example/csp"
    assert assess(value).result == "csp-implemented-with-no-unsafe-default-src-none"


def test_several_policies_are_all_enforced():
    # A weak header policy next to a strict meta policy: scripts stay restricted.
    strict = "default-src 'none'; script-src 'self'; object-src 'none'"
    assessment = assess("script-src *", meta=strict)
    assert assessment.policy_count == 2 and assessment.http and assessment.meta
    assert assessment.scripts_restricted
    assert assessment.result == "csp-implemented-with-no-unsafe-default-src-none"
    assert any("merges several policies" in note for note in assessment.deviations)
    # Weak in every policy: weak, with every reason reported.
    both = assess("script-src 'unsafe-inline', script-src *; object-src 'none'")
    assert both.result == "csp-implemented-with-unsafe-inline"
    assert {"csp-script-src-unsafe-inline", "csp-script-src-broad"} <= set(both.keys)
    # Objects restricted by one policy and scripts by the other: together they protect.
    split = assess("object-src 'none'; script-src *; style-src 'self', "
                   "script-src 'self'; object-src *")
    assert split.scripts_restricted and split.objects_restricted
    assert split.result == "csp-implemented-with-no-unsafe"


def test_evaluate_accepts_csp_and_policy_objects():
    csp = parse_csp("default-src 'none'")
    assert evaluate(csp).result == evaluate([csp.policies[0]]).result
    assert evaluate([csp], report_only=csp).result == \
        "csp-implemented-with-no-unsafe-default-src-none"
    with pytest.raises(CspError):
        evaluate(["default-src 'none'"])
    with pytest.raises(CspError):
        evaluate(42)
    with pytest.raises(CspError):
        assess([None])
    with pytest.raises(CspError):
        assess(42)


def test_every_result_has_text_and_modifier():
    assert set(RESULT_TEXTS) == set(OBSERVATORY_MODIFIERS)


def test_warnings_and_names_are_capped():
    csp = parse_csp(",".join(f"x{i}" for i in range(100)))
    assert len(csp.policies) == 100 and len(csp.warnings) == 21
    assert csp.warnings[-1] == "... and 80 more warnings"
    finding = next(f for f in evaluate(csp).findings if f.key == "csp-unknown-directives")
    assert "and 80 more" in finding.explanation


def test_classify_source_is_quick_on_long_input():
    started = time.monotonic()
    for text in ["a" * 60000, "a." * 30000 + ":", "a+" * 30000 + "//x", "'nonce-" + "a" * 60000]:
        assert classify_source(text) in ("host", "invalid", "scheme")
    assert time.monotonic() - started < 1


def test_huge_input_is_refused_quickly():
    started = time.monotonic()
    with pytest.raises(CspError, match="longer than"):
        parse_csp("script-src " + "a" * (MAX_CSP_CHARS + 1))
    # The largest accepted policy still parses and evaluates in well under a second.
    value = ("img-src " + "https://a.example " * 3000 + ";") * 1
    value += "; ".join(f"x{i}-src 'self'" for i in range(1500))
    value = value[:MAX_CSP_CHARS]
    assessment = assess(value)
    assert isinstance(assessment, CspAssessment)
    assert time.monotonic() - started < 2


# -- fuzzing --------------------------------------------------------------------------------


def _check(value, source="header"):
    try:
        csp = parse_csp(value, source=source)
    except CspError as exc:
        assert str(exc)
        return None
    assert isinstance(csp, Csp) and csp.policies
    assert all(isinstance(policy, Policy) for policy in csp.policies)
    json.dumps(csp.to_json())
    assessment = evaluate([csp])
    assert assessment.result in RESULT_TEXTS
    json.dumps(assessment.to_json())
    return csp


@FUZZ
@given(st.text(max_size=300), st.sampled_from(["header", "meta"]))
def test_fuzz_arbitrary_text(text, source):
    _check(text, source)


_TOKENS = ["default-src", "script-src", "SCRIPT-SRC", "object-src", "style-src", "img-src",
           "media-src", "base-uri", "form-action", "frame-ancestors", "script-src-elem",
           "script-src-attr", "report-uri", "sandbox", "upgrade-insecure-requests", "x-unknown",
           "'self'", "'none'", "'unsafe-inline'", "'unsafe-eval'", "'strict-dynamic'",
           "'nonce-abc'", "'nonce-'", HASH_A, "*", "https:", "http:", "data:", "ftp://a",
           "http://a.example", "https://a.example/p", "*.example.com", ";", ";", ",", " ",
           "\t", "é"]


@FUZZ
@given(st.lists(st.sampled_from(_TOKENS), max_size=25), st.booleans(),
       st.lists(st.sampled_from(_TOKENS), max_size=10))
def test_fuzz_near_valid_policies(tokens, secure, meta_tokens):
    header = " ".join(tokens)
    _check(header)
    assessment = assess([header], meta=[" ".join(meta_tokens)], secure_origin=secure)
    assert assessment.result in RESULT_TEXTS
    assert isinstance(assessment.passed, bool)
    if assessment.result not in ("csp-header-invalid", "csp-not-implemented"):
        assert assessment.policy_count >= 1
    json.dumps(assessment.to_json())
