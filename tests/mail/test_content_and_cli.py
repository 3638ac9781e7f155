"""The checker's words exist in every language; the CLI reads files and stdin."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from cyberbasics.cli.email_check import email_app
from cyberbasics.mail import message as message_module
from cyberbasics.mail.message import ERROR_CODES
from cyberbasics.mail.verdict import VERDICTS, Reason
from cyberbasics.texts import CONTENT_DIR, LANGUAGES

CORPUS = Path(__file__).with_name("corpus")
REASON_IDS = {
    "display_name_address", "display_name_domain", "reply_to_other_domain", "lookalike_domain",
    "link_text_mismatch", "link_ip_target", "link_punycode_target", "mx_host_not_found",
    "auth_ignored_below_boundary", "auth_ignored_untrusted_id", "arc_not_checked",
    "dmarc_fail_enforced", "dmarc_fail", "dmarc_pass", "dmarc_pass_other_domain",
    "forged_but_arc", "no_trusted_authentication",
    # our own checks through DNS (mail/authcheck.py)
    "dmarc_aligned_no_policy", "dmarc_aligned_policy_unknown", "arc_forwarded", "arc_valid",
    "arc_invalid", "spf_pass",
    "spf_fail", "spf_softfail", "spf_neutral", "spf_error", "spf_no_envelope",
    "spf_no_client_address", "spf_fail_no_policy", "dkim_pass", "dkim_fail", "dkim_temperror",
    "dkim_not_checked_headers_only", "no_signature", "dmarc_no_policy", "dmarc_incomplete",
    "dns_temperror", "new_sending_infrastructure", "checks_offline",
    # what the second reading added: could-not-check states and tricks
    "several_from", "from_not_a_domain", "dkim_key_missing", "dkim_unusable", "dkim_too_many",
    "arc_untrusted_sealer", "arc_not_verified", "spf_internal_hop",
    # the third reading: tampering after signing, and a trusted sealer that saw a failure
    "signatures_unreadable", "dkim_body_beyond_length", "unsigned_header_copy",
    "address_in_local_part", "arc_no_recorded_pass"}


def _raw(language: str) -> dict:
    return yaml.safe_load((CONTENT_DIR / language / "email.yaml").read_text(encoding="utf-8"))


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_in_every_language(language):
    raw, english = _raw(language), _raw("en")
    assert raw["_status"] == "draft"
    assert set(raw["reasons"]) == REASON_IDS
    assert set(raw["verdicts"]) == set(VERDICTS)
    assert set(raw["labels"]) == set(english["labels"])
    assert set(raw["sources"]) == {"header", "checked"}
    assert set(raw["errors"]) == set(ERROR_CODES)
    for section in ("reasons", "verdicts", "labels", "sources", "errors"):
        for key, text in raw[section].items():
            assert text.strip(), (section, key)
            assert _fields(text) == _fields(english[section][key]), (language, key)


def _raised_codes(path: Path) -> list[str | None]:
    """The code of every `raise MessageError(...)` in a module (None when it gives none)."""
    codes = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                and getattr(node.exc.func, "id", "") == "MessageError":
            given = node.exc.args[1:2] or [k.value for k in node.exc.keywords
                                             if k.arg == "code"]
            codes.append(given[0].value if given and isinstance(given[0], ast.Constant)
                         else None)
    return codes


def test_every_reading_error_names_a_code_with_texts():
    codes = _raised_codes(Path(message_module.__file__))
    assert len(codes) >= len(ERROR_CODES)
    assert None not in codes, "a MessageError without a code shows only the generic text"
    assert set(codes) == set(ERROR_CODES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_renders(language):
    for reason in REASON_IDS:
        assert Reason(reason, {"shown": "x"}).text(language)
        for source in ("header", "checked"):
            text = Reason(reason, {"source": source, "authserv_id": "mx.example"}).text(language)
            assert "{by}" not in text


runner = CliRunner()
app = typer.Typer()
app.add_typer(email_app, name="email")  # as cli/main.py mounts it


def test_cli_json():
    result = runner.invoke(app, [
        "email", "check", str(CORPUS / "genuine-pass.eml"), "--format", "json", "--offline",
        "--trusted-authserv-id", "mx1.acmebakery.pl"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["verdict"] == "authentic"
    assert data["reasons"][0]["id"] == "dmarc_pass"
    assert data["trusted_hop"]["ip"] == "192.0.2.10"
    assert data["from"]["address"] == "anna@nordsupply.de"


def test_cli_text_from_stdin_in_polish_with_own_domain():
    data = (CORPUS / "lookalike-tld-swap.eml").read_bytes().replace(b"ewa@acmebakery.pl",
                                                                     b"ewa@other.example")
    result = runner.invoke(app, ["email", "check", "-", "--lang", "pl", "--offline",
                                       "--own-domain", "acmebakery.pl"], input=data)
    assert result.exit_code == 0, result.output
    assert "PODEJRZANA" in result.output and "wygląda jak acmebakery.pl" in result.output


def test_cli_mx_host_option():
    result = runner.invoke(app, [
        "email", "check", str(CORPUS / "gmail-style-layout.eml"), "-f", "json", "--offline",
        "--mx-host", "mx.google.com", "--trusted-authserv-id", "mx.google.com"])
    assert json.loads(result.output)["verdict"] == "authentic"


def test_cli_bad_input_is_a_clear_error():
    result = runner.invoke(app, ["email", "check", str(CORPUS / "broken-binary.eml")])
    assert result.exit_code == 2
    assert "could not be read" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["email", "check", "-", "-f", "json"], input=b"")
    assert result.exit_code == 2 and json.loads(result.output) == {"error": "the message is empty"}
    result = runner.invoke(app, ["email", "check", "-", "--lang", "pl"], input=b"Subject: x\n")
    assert result.exit_code == 2
    assert "Nie udało się odczytać wiadomości: wiadomość nie ma nagłówka From" in result.output
    assert "no From header" not in result.output
    result = runner.invoke(app, ["email", "check", "/nonexistent/x.eml"])
    assert result.exit_code == 2 and "cannot read" in result.output
    result = runner.invoke(app, ["email", "check", "-", "--lang", "de"], input=b"From: a@b.c\n")
    assert result.exit_code == 2 and "--lang" in result.output
