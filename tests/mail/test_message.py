"""Reading messages: good input parses, bad input gets a clear MessageError; fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberbasics.mail.message import MessageError, parse_message
from cyberbasics.mail.verdict import Options, analyse


def test_crlf_lf_and_mbox_line_give_the_same_message():
    lf = b"From: Anna <anna@example.org>\nTo: jan@example.com\nSubject: hi\n\nbody\n"
    crlf = lf.replace(b"\n", b"\r\n")
    mbox = b"From anna@example.org Wed Nov 25 09:14:02 2026\n" + lf
    parsed = [parse_message(x) for x in (lf, crlf, mbox)]
    assert {m.headers for m in parsed} == {parsed[0].headers}
    assert parsed[0].from_address.address == "anna@example.org"
    assert parsed[0].text_bodies == ("body\n",)


def test_encoded_words_and_idn_domains():
    message = parse_message("From: =?UTF-8?Q?Micha=C5=82?= <m@żółw.pl>\n\nx".encode())
    assert message.from_address.display_name == "Michał"
    assert message.from_address.domain == "xn--w-uga1v8h.pl"


def test_headers_only_and_folded_values():
    message = parse_message(b"Received: from a\n\tby b; x\nFrom: a@example.org\n")
    assert message.headers_only
    assert message.first("Received") == "from a by b; x"


def test_html_in_multipart_alternative():
    data = (b'From: a@example.org\nContent-Type: multipart/alternative; boundary="x"\n\n--x\n'
            b"Content-Type: text/plain\n\nplain\n--x\nContent-Type: text/html\n\n<a href='h'>t</a>"
            b"\n--x--\n")
    message = parse_message(data)
    assert message.text_bodies == ("plain",)
    assert "<a href='h'>" in message.html_bodies[0]


@pytest.mark.parametrize(("data", "says"), [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"\x00\x01\x02binary", "not 'Name: value'"),
    (b"From: a@example.org\nno colon here\n", "header line 2"),
    (b" indented: x\nFrom: a@example.org\n", "indented"),
    (b"Subject: no sender\n", "no From header"),
    (b"From: nobody\n", "no usable address"),
    (b"From: a@example.org\nX-Bad\x00: y\n", "header line 2"),
    ("not bytes", "bytes"),
])
def test_bad_input_says_what_is_wrong(data, says):
    with pytest.raises(MessageError, match=None) as raised:
        parse_message(data)
    assert says in str(raised.value)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_parse_or_raise_message_error(data):
    try:
        message = parse_message(data)
    except MessageError as exc:
        assert str(exc)
        return
    analyse(message, Options(own_domains=("example.com",))).to_dict("pl")


_NAMES = st.sampled_from(["From", "To", "Reply-To", "Received", "Authentication-Results",
                          "ARC-Seal", "References", "In-Reply-To", "Subject", "Content-Type",
                          "Delivered-To", "X-Junk"])
_VALUES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120) | st.sampled_from([
    "Anna <anna@exаmple.com>", "=?UTF-8?B?w7M=?= <x@xn--80ak6aa92e.com>", "<a@b.c>",
    "mx1.example.com; dmarc=fail (p=reject) header.from=example.com",
    "from h ([192.0.2.1]) by mx1.example.com; x", "text/html; charset=bogus", "",
    "x.example; dmarc=pass (((( header.from=", "\"ceo@example.com\" <z@evil.example>"])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_NAMES, _VALUES), max_size=15),
       st.text(max_size=300), st.sampled_from(["\n", "\r\n"]))
def test_arbitrary_header_lists(headers, body, newline):
    text = newline.join(f"{n}: {v}" for n, v in headers) + newline * 2 + body
    try:
        message = parse_message(text.encode("utf-8", "surrogatepass"))
    except MessageError as exc:
        assert str(exc)
        return
    result = analyse(message, Options(mx_hosts=("mx1.example.com",),
                                      trusted_authserv_ids=("mx1.example.com",))).to_dict()
    assert result["verdict"] in ("authentic", "suspicious", "forged", "unknown")


class _NoHeaders:
    def raw_items(self):
        return []


def _fails_inside_email_package(data, policy):
    raise ValueError("bad MIME")


@pytest.mark.parametrize(("code", "data", "patch"), [
    ("not_bytes", "not bytes", {}),
    ("too_large", b"From: a@example.org\n\nbody", {"MAX_BYTES": 10}),
    ("empty", b"", {}),
    ("mbox_line_only", b"From someone Mon Jan  1 00:00:00 2026\n", {}),
    ("too_many_header_lines", b"A: 1\nB: 2\nC: 3\n", {"MAX_HEADER_LINES": 2}),
    ("starts_with_empty_line", b"   \nFrom: a@example.org\n", {}),
    ("first_line_indented", b" indented: x\nFrom: a@example.org\n", {}),
    ("bad_header_line", b"From: a@example.org\nno colon here\n", {}),
    ("nul_bytes", b"From: a@example.org\nX-Junk: a\x00b\n", {}),
    ("unreadable", b"From: a@example.org\n", {"email.message_from_bytes":
                                              _fails_inside_email_package}),
    ("no_headers", b"From: a@example.org\n", {"email.message_from_bytes":
                                              lambda data, policy: _NoHeaders()}),
    ("no_from", b"Subject: no sender\n", {}),
    ("from_no_address", b"From: nobody\n", {}),
])
def test_every_error_has_a_code_and_a_text_in_every_language(monkeypatch, code, data, patch):
    from cyberbasics.mail import message as module
    from cyberbasics.texts import LANGUAGES

    for name, value in patch.items():
        target, _, attribute = name.rpartition(".")
        monkeypatch.setattr(getattr(module, target) if target else module, attribute, value)
    with pytest.raises(MessageError) as raised:
        parse_message(data)
    error = raised.value
    assert error.code == code
    english = str(error)
    for language in LANGUAGES:
        text = error.text(language)
        assert text and "{" not in text, (language, text)
        if language != "en":
            assert text != error.text("en"), (language, code)  # translated, not the fallback
    assert str(error) == english  # the English text (CLI JSON, logs) is untouched


def test_an_error_raised_without_a_code_still_reads_in_the_language():
    error = MessageError("the header block has a bare CR")
    assert error.code == "unreadable" and str(error) == "the header block has a bare CR"
    polish = error.text("pl")
    assert polish.startswith("ma postać") and "the header block has a bare CR" in polish
