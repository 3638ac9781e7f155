"""Hypothesis fuzzing of the email checker: its parsers never fail in an unplanned way, and
changing what a DKIM signature covers never leaves a message `authentic`.

Mutations start from the lab corpus (cyberbasics.lab.mail_world) and go through the whole
`check`, with the lab DNS server answering on loopback. Examples are bounded so the file
runs in seconds."""

from __future__ import annotations

import asyncio
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberbasics.lab.mail_world import build_corpus, mail_dns_in_thread
from cyberbasics.mail.message import MessageError, parse_message
from cyberbasics.mail.trust import parse_authentication_results, parse_received
from cyberbasics.mail.verdict import VERDICTS, Options

CORPUS = {m.name: m for m in build_corpus()}
QUICK = settings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])
THROUGH_CHECK = settings(max_examples=60, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.too_slow])

# Messages that are authentic ONLY through an aligned DKIM signature (SPF passes for the
# ESP's bounce domain, not aligned; no trusted Authentication-Results): breaking what the
# signature covers must take `authentic` away.
DKIM_ONLY = ("genuine-dkim-only-via-esp", "dkim-relaxed-survives-refolding",
             "dkim-simple-intact", "dkim-1024-bit-key", "subdomain-relaxed-alignment")
SIGNED_HEADERS = ("From", "To", "Subject", "Date", "Message-ID")
REPLACEMENTS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# 1. Parsers on arbitrary input.

_header_names = st.sampled_from(["From", "To", "Subject", "Received", "Return-Path",
                                 "Authentication-Results", "DKIM-Signature", "ARC-Seal",
                                 "Reply-To", "Content-Type", "X-Junk", "From ", ""])
_header_values = st.one_of(st.text(max_size=80), st.binary(max_size=80).map(
    lambda b: b.decode("latin-1")), st.sampled_from(
    ["a@b.example", "<>", '"x" <y@z.example>', "=?utf-8?b?////?=", "multipart/mixed; "
     "boundary=x", "from x ([127.0.0.1]) by y; z"]))


@st.composite
def message_like(draw) -> bytes:
    """Bytes shaped like a message often enough to reach the deeper parsing paths."""
    lines = [f"{draw(_header_names)}:{draw(_header_values)}"
             for _ in range(draw(st.integers(0, 8)))]
    separator = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    body = draw(st.one_of(st.just(""), st.text(max_size=200),
                          st.just("--x\nContent-Type: text/html\n\n<a href=x>y</a>\n--x--")))
    return (separator.join(lines) + separator * 2 + body).encode("utf-8", "surrogatepass")


@QUICK
@given(st.one_of(st.binary(max_size=600), message_like()))
def test_parse_message_raises_only_message_error(data):
    try:
        message = parse_message(data)
    except MessageError as exc:
        assert str(exc)
        return
    assert message.from_address.address
    assert all(isinstance(n, str) and isinstance(v, str) for n, v in message.headers)


_received_text = st.lists(st.sampled_from(
    ["from", "by", "with", "id", "for", ";", "(", ")", "[", "]", "IPv6:", "127.0.0.1",
     "::1", "[127.0.300.1]", "mx.example", " ", "\t", "helo=", '"', "\\"]), max_size=30).map(
    "".join)
_auth_text = st.lists(st.sampled_from(
    ["mx.example", ";", "=", "(", ")", '"', "\\", " ", "dmarc", "spf", "dkim", "pass",
     "fail", "policy.dmarc", "header.from", "p=reject", "/", "1"]), max_size=30).map("".join)


@QUICK
@given(st.one_of(st.text(max_size=300), _received_text), st.integers(0, 50))
def test_parse_received_never_raises(text, position):
    hop = parse_received(position, text)
    assert hop.position == position and hop.raw == text


@QUICK
@given(st.one_of(st.text(max_size=300), _auth_text))
def test_parse_authentication_results_never_raises(text):
    header = parse_authentication_results(3, text)
    if header is not None:
        assert header.authserv_id
        assert all(r.method and isinstance(r.properties, dict) for r in header.results)


# 2. Mutated lab messages through the whole check.


@pytest.fixture(scope="module")
def run_check():
    from cyberbasics.mail.authcheck import check
    from cyberbasics.net.dns import DnsClient

    with mail_dns_in_thread() as address:
        def run(data: bytes, options: dict):
            async def once():
                client = DnsClient([address], timeout=1, attempts=1)
                try:
                    return await check(data, Options(**options), client)
                finally:
                    await client.aclose()
            try:
                return asyncio.run(once())
            except MessageError:
                return None  # unreadable after the mutation: a clear error, not a crash
        yield run


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")


def _head_length(lines: list[bytes]) -> int:
    return lines.index(b"") if b"" in lines else len(lines)


@st.composite
def flipped(draw):
    message = CORPUS[draw(st.sampled_from(sorted(CORPUS)))]
    data = bytearray(message.data)
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return message, bytes(data)


@st.composite
def reshaped(draw):
    """Lines dropped, header lines duplicated, or a huge header added."""
    message = CORPUS[draw(st.sampled_from(sorted(CORPUS)))]
    lines = _lines(message.data)
    head = _head_length(lines)
    kind = draw(st.sampled_from(["drop", "duplicate", "huge"]))
    if kind == "drop":
        for _ in range(draw(st.integers(1, 4))):
            if lines:
                del lines[draw(st.integers(0, len(lines) - 1))]
    elif kind == "duplicate" and head:
        for _ in range(draw(st.integers(1, 3))):
            line = lines[draw(st.integers(0, head - 1))]
            lines.insert(draw(st.integers(0, head)), line)
    else:
        size = draw(st.sampled_from([1000, 20_000, 200_000]))
        folded = draw(st.booleans())
        value = (b"x" * 70 + b"\r\n ") * (size // 73) if folded else b"y" * size
        lines.insert(draw(st.integers(0, head)), b"X-Huge: " + value)
    return message, b"\r\n".join(lines)


@THROUGH_CHECK
@given(st.one_of(flipped(), reshaped()))
def test_mutated_messages_never_crash_the_check(run_check, case):
    message, data = case
    analysis = run_check(data, message.options)
    if analysis is not None:
        assert analysis.verdict in VERDICTS
        assert all(r.id for r in analysis.reasons)


def _changed_body(draw, data: bytes) -> bytes:
    head, sep, body = data.partition(b"\r\n\r\n")
    spots = [i for i, b in enumerate(body) if chr(b).isalnum()]
    spot = draw(st.sampled_from(spots))
    new = draw(st.sampled_from([c for c in REPLACEMENTS if c != chr(body[spot])]))
    return head + sep + body[:spot] + new.encode() + body[spot + 1:]


def _changed_header(draw, data: bytes) -> bytes:
    name = draw(st.sampled_from(SIGNED_HEADERS))
    match = re.search(rb"^" + name.encode() + rb":(.*)$", data, re.MULTILINE)
    assert match, name
    spots = [match.start(1) + i for i, b in enumerate(match.group(1)) if chr(b).isalnum()]
    spot = draw(st.sampled_from(spots))
    new = draw(st.sampled_from([c for c in REPLACEMENTS if c != chr(data[spot])]))
    return data[:spot] + new.encode() + data[spot + 1:]


@THROUGH_CHECK
@given(st.sampled_from(DKIM_ONLY), st.booleans(), st.data())
def test_changing_signed_content_never_leaves_authentic(run_check, name, in_body, data):
    message = CORPUS[name]
    assert message.expected == "authentic"
    changed = (_changed_body if in_body else _changed_header)(data.draw, message.data)
    assert changed != message.data
    analysis = run_check(changed, message.options)
    assert analysis is None or analysis.verdict != "authentic", (
        name, [r.id for r in analysis.reasons])


def test_the_unchanged_messages_are_authentic(run_check):
    """The control for the test above: without a change these are authentic."""
    for name in DKIM_ONLY:
        message = CORPUS[name]
        assert run_check(message.data, message.options).verdict == "authentic", name
