"""Reading a message (a full .eml or its headers only) from bytes.

Bad input raises `MessageError` saying what is wrong; nothing else escapes. Headers are kept
in their order in the message (topmost first), as raw strings, because the trust boundary
(trust.py) is about where a header sits, and attackers write headers below it.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.utils import getaddresses
from typing import Any

MAX_BYTES = 25 * 1024 * 1024
MAX_HEADER_LINES = 5000
_FIELD_NAME = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")


# Every reason a message cannot be read, each with a text per language under `errors:` in
# content/<lang>/email.yaml (tests/mail/test_content_and_cli.py keeps them in step).
ERROR_CODES = (
    "not_bytes", "too_large", "empty", "mbox_line_only", "too_many_header_lines",
    "starts_with_empty_line", "first_line_indented", "bad_header_line", "nul_bytes",
    "unreadable", "no_headers", "no_from", "from_no_address",
)


class MessageError(ValueError):
    """The input is not a message we can read. `str(exc)` says why in English (the CLI's
    JSON and logs); `code` and `params` give the same in any language (`text`).

    A raise without a code (a module that has none yet) is "unreadable" with its English
    text as the detail, so a page still gets a translated sentence around it."""

    def __init__(self, message: str, code: str = "unreadable", **params: Any) -> None:
        super().__init__(message)
        if code == "unreadable":
            params.setdefault("detail", message)
        self.code, self.params = code, params

    def text(self, language: str = "en") -> str:
        """Why, in `language` (the English text when the code has none)."""
        from ..texts import fill, words

        template = (words("email", language).get("errors") or {}).get(self.code)
        return fill(template, self.params) if template else str(self)


@dataclass(frozen=True)
class Address:
    display_name: str
    address: str  # addr-spec, as written
    domain: str  # lower case, IDNA A-label form when it could be encoded, no trailing dot


@dataclass(frozen=True)
class Message:
    headers: tuple[tuple[str, str], ...]  # (name, raw value unfolded), topmost first
    from_address: Address
    reply_to: tuple[Address, ...] = ()
    recipients: tuple[Address, ...] = ()  # To, Cc, Delivered-To
    references: tuple[str, ...] = ()  # message-ids from In-Reply-To and References
    html_bodies: tuple[str, ...] = ()
    text_bodies: tuple[str, ...] = ()
    headers_only: bool = False
    notes: tuple[str, ...] = field(default=())

    def get_all(self, name: str) -> list[tuple[int, str]]:
        """(position, value) of every header with this name, topmost first."""
        lowered = name.lower()
        return [(i, v) for i, (n, v) in enumerate(self.headers) if n.lower() == lowered]

    def first(self, name: str) -> str | None:
        found = self.get_all(name)
        return found[0][1] if found else None


def decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded; the raw text when they are broken."""
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError, AssertionError, TypeError):
        return value


def normalise_domain(domain: str) -> str:
    name = domain.strip().strip("[]").rstrip(".").lower()
    if not name:
        return ""
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        try:
            import idna

            return idna.encode(name, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return name


def _addresses(values: list[str]) -> tuple[Address, ...]:
    found = []
    for raw in values:
        try:
            pairs = getaddresses([raw])
        except (ValueError, IndexError, TypeError):
            continue
        for name, addr in pairs:
            if not addr or "@" not in addr:
                continue
            domain = normalise_domain(addr.rpartition("@")[2])
            found.append(Address(decode_words(name).strip(), addr.strip(), domain))
    return tuple(found)


def _split_header_section(data: bytes) -> tuple[bytes, bool]:
    """Check the header section line by line; return it and whether a body follows."""
    end = data.find(b"\n\n")
    head = data.rstrip(b"\n") if end < 0 else data[:end]
    has_body = end >= 0 and bool(data[end + 2:].strip())
    lines = head.split(b"\n")
    if len(lines) > MAX_HEADER_LINES:
        raise MessageError(f"the header section has more than {MAX_HEADER_LINES} lines",
                           "too_many_header_lines", limit=MAX_HEADER_LINES)
    for number, line in enumerate(lines, start=1):
        if not line.strip() and number == 1:
            raise MessageError("the message starts with an empty line: it has no headers",
                               "starts_with_empty_line")
        if line[:1] in (b" ", b"\t"):
            if number == 1:
                raise MessageError("the first line is indented: it is not a header",
                                   "first_line_indented")
            continue
        if not _FIELD_NAME.match(line):
            shown = line[:60].decode("utf-8", "replace")
            raise MessageError(f"header line {number} is not 'Name: value' (no colon or a "
                               f"bad field name): {shown!r}", "bad_header_line",
                               line=number, shown=repr(shown))
    return head, has_body


def parse_message(data: bytes) -> Message:
    """A message from bytes: a full .eml (mbox 'From ' line allowed) or raw headers."""
    if not isinstance(data, bytes | bytearray):
        raise MessageError("a message must be given as bytes", "not_bytes")
    if len(data) > MAX_BYTES:
        raise MessageError(f"the message is larger than {MAX_BYTES // (1024 * 1024)} MB",
                           "too_large", megabytes=MAX_BYTES // (1024 * 1024))
    data = bytes(data).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    data = data.lstrip(b"\n")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise MessageError("the message is empty", "empty")
    if data.startswith(b"From "):  # mbox separator line
        data = data.partition(b"\n")[2]
        if not data.strip():
            raise MessageError("there is only an mbox 'From ' line, no message",
                               "mbox_line_only")
    head, has_body = _split_header_section(data)
    if b"\x00" in head:
        raise MessageError("the headers contain NUL bytes: this looks like a binary file, "
                           "not a message", "nul_bytes")
    try:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        raw = [(str(n), _unfold(str(v))) for n, v in parsed.raw_items()]
    except Exception as exc:  # the email package raises many kinds
        raise MessageError(f"the message could not be read: {exc}", "unreadable",
                           detail=str(exc)) from None
    if not raw:
        raise MessageError("the message has no headers", "no_headers")
    from_values = [v for n, v in raw if n.lower() == "from"]
    if not from_values:
        raise MessageError("the message has no From header", "no_from")
    senders = _addresses(from_values)
    if not senders:
        raise MessageError(f"the From header has no usable address: {from_values[0][:80]!r}",
                           "from_no_address", value=repr(from_values[0][:80]))
    notes = []
    if len(senders) > 1 or len(from_values) > 1:
        notes.append("several_from")

    def values(*names: str) -> list[str]:
        wanted = {n.lower() for n in names}
        return [v for n, v in raw if n.lower() in wanted]

    references = tuple(re.findall(r"<([^<>\s]+@[^<>\s]+)>",
                                  " ".join(values("In-Reply-To", "References"))))
    html, text = _bodies(parsed) if has_body else ((), ())
    return Message(
        headers=tuple(raw), from_address=senders[0],
        reply_to=_addresses(values("Reply-To")),
        recipients=_addresses(values("To", "Cc", "Delivered-To", "X-Original-To")),
        references=references, html_bodies=html, text_bodies=text,
        headers_only=not has_body, notes=tuple(notes))


def _unfold(value: str) -> str:
    """One line; 8-bit header bytes (kept as surrogates by the email package) read as UTF-8,
    else Latin-1 (RFC 6532 allows UTF-8 headers; older mailers send local charsets)."""
    if any("\udc80" <= c <= "\udcff" for c in value):
        raw = value.encode("utf-8", "surrogateescape")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.decode("latin-1")
    return re.sub(r"\r?\n[ \t]+", " ", value).strip()


def _bodies(parsed: email.message.Message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    html: list[str] = []
    text: list[str] = []
    try:
        parts = list(parsed.walk())
    except Exception:  # a broken MIME tree: no bodies, headers still count
        return (), ()
    for part in parts[:200]:
        try:
            if part.is_multipart() or part.get_content_maintype() != "text":
                continue
            if part.get_content_disposition() == "attachment":
                continue
            subtype = part.get_content_subtype()
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or "utf-8"
            try:
                content = payload.decode(charset, "replace")
            except LookupError:
                content = payload.decode("utf-8", "replace")
        except Exception:
            continue
        (html if subtype == "html" else text).append(content[:2_000_000])
    return tuple(html), tuple(text)
