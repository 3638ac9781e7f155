"""``security.txt`` files (RFC 9116), served at ``https://<host>/.well-known/security.txt``.

What is read, and where the RFC says so:

* §2: a field is ``name: value`` on its own line; names are case-insensitive (RFC 5234
  §2.3) and follow RFC 5322's ``field-name`` (printable ASCII but ``:``); unknown fields
  are allowed and kept (§2.4: researchers ignore fields they do not support).
* §2.1: a line beginning with ``#`` is a comment.  §2.2: lines end in CRLF or LF.
* §2.3 and §4 (``signed``): the file may be an OpenPGP cleartext-signed message (RFC 4880
  §7); the armour is stripped, dash-escaping undone, and the file noted as signed.  The
  signature is *not* verified.
* §2.5: Acknowledgments, Canonical, Contact, Encryption, Expires, Hiring, Policy,
  Preferred-Languages; and CSAF, registered by OASIS CSAF 2.0 §7.1.8 in IANA's "security.txt
  Fields" registry.  Contact MUST appear at least once (§2.5.3), Expires exactly once
  (§2.5.5), Preferred-Languages at most once (§2.5.8).  A web URI in any of them MUST
  begin with ``https://``.  Contact values MUST be URIs (RFC 3986), so e-mail addresses
  and phone numbers are written ``mailto:`` and ``tel:``.
* §2.5.5: Expires is an RFC 3339 ``date-time``; a file past it is stale and "should not
  be used" (§5.3), and "it is RECOMMENDED that the value of this field be less than a
  year into the future".
* §5.4: researchers "may choose to have the code not parse files larger than 32 KBs,
  those with fields longer than 2,048 characters, or those containing more than 1,000
  lines"; this parser refuses files over 32 KiB and ignores over-long fields.

:func:`parse_security_txt` never raises on text: every defect becomes a :class:`Problem`,
and :attr:`SecurityTxt.valid` is true when none of them is fatal (no usable Contact,
Expires missing, repeated, unreadable or past, or a file too large or not UTF-8).  It
raises :class:`SecurityTxtError` only for arguments of the wrong type.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = [
    "KNOWN_FIELDS",
    "MAX_FIELD_CHARS",
    "MAX_FILE_BYTES",
    "MAX_LINES",
    "Field",
    "Problem",
    "SecurityTxt",
    "SecurityTxtError",
    "parse_rfc3339",
    "parse_security_txt",
]

MAX_FILE_BYTES = 32 * 1024  # RFC 9116 §5.4
MAX_FIELD_CHARS = 2048  # RFC 9116 §5.4
MAX_LINES = 1000  # RFC 9116 §5.4 (more is reported, not refused)
ONE_YEAR = timedelta(days=365)
_MAX_BAD_LINES_SHOWN = 10

# Canonical spelling of every registered field, by lower-case name.
KNOWN_FIELDS = {
    name.lower(): name
    for name in (
        "Acknowledgments", "Canonical", "Contact", "CSAF", "Encryption", "Expires", "Hiring",
        "Policy", "Preferred-Languages",
    )
}
_URI_FIELDS = ("acknowledgments", "canonical", "contact", "csaf", "encryption", "hiring",
               "policy")

_FIELD_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")  # RFC 5322 ftext
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# RFC 3986 characters: unreserved, reserved, and percent-encoded octets.
_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")
# RFC 3339 §5.6 date-time; "T" and "Z" may be lower case (§5.6 note).
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_LANG_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")  # BCP 47's shape, loosely
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_TEL = re.compile(r"\+?[0-9().\-]*[0-9][0-9().\-]*(?:;[^\s]*)?")

_PGP_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----"
_PGP_SIGNATURE = "-----BEGIN PGP SIGNATURE-----"
_PGP_END = "-----END PGP SIGNATURE-----"


class SecurityTxtError(ValueError):
    """The arguments are not a security.txt body and a point in time."""


def _show(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@dataclass(frozen=True)
class Problem:
    code: str  # stable key, e.g. "no-contact", "expired", "insecure-uri"
    message: str  # plain words, naming the line when there is one
    fatal: bool = False  # the file should not be used
    line: int | None = None

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message, "fatal": self.fatal,
                "line": self.line}


@dataclass(frozen=True)
class Field:
    name: str  # as written
    value: str
    line: int

    @property
    def key(self) -> str:
        return self.name.lower()

    def to_json(self) -> dict:
        return {"name": self.name, "value": self.value, "line": self.line}


@dataclass(frozen=True)
class SecurityTxt:
    contact: tuple[str, ...] = ()  # in order of preference (§2.5.3)
    expires: datetime | None = None  # timezone-aware
    encryption: tuple[str, ...] = ()
    acknowledgments: tuple[str, ...] = ()
    preferred_languages: tuple[str, ...] = ()
    canonical: tuple[str, ...] = ()
    policy: tuple[str, ...] = ()
    hiring: tuple[str, ...] = ()
    csaf: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()  # every field line, in order
    comments: tuple[str, ...] = ()
    signed: bool = False  # OpenPGP cleartext armour was present (not verified)
    problems: tuple[Problem, ...] = ()

    @property
    def valid(self) -> bool:
        return not any(problem.fatal for problem in self.problems)

    @property
    def other_fields(self) -> tuple[Field, ...]:
        """Fields that are not registered (kept, as §2.4 asks researchers to ignore them)."""
        return tuple(field for field in self.fields if field.key not in KNOWN_FIELDS)

    @property
    def problem_codes(self) -> tuple[str, ...]:
        return tuple(problem.code for problem in self.problems)

    def to_json(self) -> dict:
        return {
            "contact": list(self.contact),
            "expires": self.expires.isoformat() if self.expires else None,
            "encryption": list(self.encryption),
            "acknowledgments": list(self.acknowledgments),
            "preferred_languages": list(self.preferred_languages),
            "canonical": list(self.canonical),
            "policy": list(self.policy),
            "hiring": list(self.hiring),
            "csaf": list(self.csaf),
            "other_fields": [field.to_json() for field in self.other_fields],
            "comments": list(self.comments),
            "signed": self.signed,
            "valid": self.valid,
            "problems": [problem.to_json() for problem in self.problems],
        }


def parse_rfc3339(text: str) -> datetime | None:
    """An RFC 3339 §5.6 ``date-time`` as an aware datetime, or None when it is not one.

    A leap second (``:60``) is read as ``:59``, which Python cannot represent.
    """
    match = _DATE_TIME.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    if match.group(8):
        offset = timedelta(0)
    else:
        off_hours, off_minutes = int(match.group(10)), int(match.group(11))
        if off_hours > 23 or off_minutes > 59:
            return None
        offset = timedelta(hours=off_hours, minutes=off_minutes)
        if match.group(9) == "-":
            offset = -offset
    if second == 60:
        second = 59
    try:
        return datetime(year, month, day, hour, minute, second, micro,
                        tzinfo=timezone(offset))
    except (ValueError, OverflowError):
        return None


def _strip_signature(lines: list[str], problems: list[Problem]) -> tuple[list[int], bool]:
    """The indexes of the cleartext lines, and whether the file was signed.

    Dash-escaped lines ("- " prefix, RFC 4880 §7.1) are unescaped in ``lines`` in place.
    """
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].rstrip() != _PGP_SIGNED:
        for number, line in enumerate(lines, start=1):
            if line.rstrip() in (_PGP_SIGNED, _PGP_SIGNATURE, _PGP_END):
                problems.append(Problem(
                    "bad-signature-armour",
                    f"line {number}: OpenPGP armour in the middle of the file; a signed file "
                    "must start with it",
                    line=number,
                ))
                break
        return list(range(len(lines))), False
    index = first + 1
    while index < len(lines) and lines[index].strip():  # armour headers ("Hash: SHA256")
        index += 1
    start = index + 1
    end = next((i for i in range(start, len(lines)) if lines[i].rstrip() == _PGP_SIGNATURE),
               None)
    if end is None:
        problems.append(Problem(
            "bad-signature-armour",
            "the file starts as an OpenPGP signed message but has no signature block",
        ))
        end = len(lines)
    else:
        tail = next((i for i in range(end, len(lines)) if lines[i].rstrip() == _PGP_END), None)
        if tail is None:
            problems.append(Problem("bad-signature-armour",
                                    "the OpenPGP signature block is not closed"))
        elif any(line.strip() for line in lines[tail + 1:]):
            problems.append(Problem(
                "text-after-signature",
                "text after the OpenPGP signature is not covered by it and was ignored",
                line=tail + 2,
            ))
    for i in range(start, end):
        if lines[i].startswith("- "):
            lines[i] = lines[i][2:]
    return list(range(start, end)), True


def _uri_problem(value: str, field: str) -> tuple[str, str] | None:
    """(code, message) when ``value`` is not a URI this field may hold, else None."""
    match = _SCHEME.match(value)
    if not match or not _URI_CHARS.fullmatch(value):
        if field == "contact" and "@" in value and " " not in value and not match:
            return "bad-uri", f"{_show(value)} is not a URI; write it as mailto:{value[:60]}"
        if field == "contact" and value[:1] in "+0123456789" and _TEL.fullmatch(value):
            return "bad-uri", f"{_show(value)} is not a URI; write it as tel:{value[:60]}"
        return "bad-uri", f"{_show(value)} is not a URI"
    scheme = match.group(1).lower()
    if scheme == "http":
        return "insecure-uri", f"{_show(value)} uses http:; web addresses must use https://"
    if scheme == "https":
        try:
            host = urllib.parse.urlsplit(value).hostname
        except ValueError:
            host = None
        if not value.lower().startswith("https://") or not host:
            return "bad-uri", f"{_show(value)} is not a valid https:// address"
    if field == "contact":
        if scheme == "mailto" and "@" not in value:
            return "bad-uri", f"{_show(value)} has no e-mail address after mailto:"
        if scheme == "tel" and not _TEL.fullmatch(value[4:]):
            return "bad-uri", f"{_show(value)} is not a telephone number"
        if scheme not in ("mailto", "https", "tel"):
            return "unusual-uri", (
                f"{_show(value)} is not a mailto:, https: or tel: address; researchers may not "
                "know how to use it"
            )
    if field in ("canonical", "csaf", "policy", "acknowledgments", "hiring") \
            and scheme != "https":
        return "unusual-uri", f"{_show(value)} is not an https:// address"
    return None


def _field_problems(field: Field, problems: list[Problem]) -> bool:
    """Check a registered field's value; False when the value cannot be used."""
    key, where = field.key, f"line {field.line}"
    if field.key in _URI_FIELDS:
        value = field.value
        if not value.isascii() and not any(char.isspace() for char in value):
            # An IRI (RFC 3987): usable, but RFC 9116 asks for a URI (RFC 3986).
            problems.append(Problem(
                "non-ascii-uri",
                f"{where}: {KNOWN_FIELDS[key]}: {_show(value)} has non-ASCII characters; "
                "write them percent-encoded (or the domain in punycode)", line=field.line))
            value = _NON_ASCII.sub(lambda m: urllib.parse.quote(m.group(), safe=""), value)
        found = _uri_problem(value, key)
        if found:
            code, message = found
            problems.append(Problem(code, f"{where}: {KNOWN_FIELDS[key]}: {message}",
                                    line=field.line))
            return code != "bad-uri"
    return True


def parse_security_txt(
    text: str | bytes, *, now: datetime, url: str | None = None
) -> SecurityTxt:
    """Read a security.txt body; ``now`` (timezone-aware) decides whether it has expired.

    ``url``, when given, is where the file was fetched from: if the file lists Canonical
    URIs and this is not one of them, that is a problem (§2.5.2: its contents "SHOULD NOT
    be trusted").
    """
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise SecurityTxtError("now must be a timezone-aware datetime")
    if url is not None and not isinstance(url, str):
        raise SecurityTxtError("url must be text")
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_FILE_BYTES:
            return SecurityTxt(problems=(_too_large(),))
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            return SecurityTxt(problems=(Problem(
                "not-utf8", f"the file is not UTF-8 text (byte {exc.start})", fatal=True),))
    if not isinstance(text, str):
        raise SecurityTxtError("the file must be text or bytes")
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return SecurityTxt(problems=(_too_large(),))

    problems: list[Problem] = []
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if len(lines) > MAX_LINES:
        problems.append(Problem("too-many-lines",
                                f"the file has {len(lines)} lines; RFC 9116 suggests at most "
                                f"{MAX_LINES}"))
    if text and not text.endswith("\n"):
        problems.append(Problem("no-final-newline",
                                "the last line does not end with a line break (RFC 9116 §2.2)"))
    body, signed = _strip_signature(lines, problems)

    fields: list[Field] = []
    comments: list[str] = []
    bad_lines = 0
    if text.lstrip()[:1] == "<":
        problems.append(Problem("looks-like-html",
                                "the file looks like a web page (HTML), not a security.txt"))
    for index in body:
        number, line = index + 1, lines[index]
        stripped = line.strip(" \t")
        if not stripped:
            continue
        if stripped.startswith("#"):
            comments.append(stripped[1:].strip(" \t"))
            continue
        name, colon, value = stripped.partition(":")
        if not colon or not _FIELD_NAME.fullmatch(name):
            bad_lines += 1
            if bad_lines <= _MAX_BAD_LINES_SHOWN:
                problems.append(Problem("bad-line",
                                        f"line {number}: {_show(stripped)} is not a 'Name: "
                                        "value' field or a # comment", line=number))
            continue
        value = value.strip(" \t")
        if len(value) > MAX_FIELD_CHARS:
            problems.append(Problem("field-too-long",
                                    f"line {number}: the {name} value is longer than "
                                    f"{MAX_FIELD_CHARS} characters and was ignored",
                                    line=number))
            continue
        if not value:
            problems.append(Problem("empty-field", f"line {number}: {name} has no value",
                                    line=number))
            continue
        fields.append(Field(name, value, number))

    if bad_lines > _MAX_BAD_LINES_SHOWN:
        problems.append(Problem("bad-line",
                                f"{bad_lines - _MAX_BAD_LINES_SHOWN} more lines are neither "
                                "fields nor comments"))
    values: dict[str, list[str]] = {key: [] for key in KNOWN_FIELDS}
    expires: datetime | None = None
    expires_fields = [field for field in fields if field.key == "expires"]
    languages: tuple[str, ...] = ()
    language_fields = [field for field in fields if field.key == "preferred-languages"]
    for field in fields:
        if field.key in _URI_FIELDS and _field_problems(field, problems):
            values[field.key].append(field.value)

    if not any(field.key == "contact" for field in fields):
        problems.append(Problem("no-contact",
                                "there is no Contact field; it must appear at least once "
                                "(RFC 9116 §2.5.3)", fatal=True))
    elif not values["contact"]:
        problems.append(Problem("no-usable-contact",
                                "no Contact field holds a usable address", fatal=True))
    if not expires_fields:
        problems.append(Problem("no-expires",
                                "there is no Expires field; it must appear exactly once "
                                "(RFC 9116 §2.5.5)", fatal=True))
    elif len(expires_fields) > 1:
        lines_text = ", ".join(str(field.line) for field in expires_fields)
        problems.append(Problem("multiple-expires",
                                f"Expires appears {len(expires_fields)} times (lines "
                                f"{lines_text}); it must appear exactly once", fatal=True))
    if expires_fields:
        field = expires_fields[0]
        expires = parse_rfc3339(field.value)
        if expires is None:
            problems.append(Problem("bad-expires",
                                    f"line {field.line}: Expires {_show(field.value)} is not an "
                                    "RFC 3339 date and time such as 2025-12-31T23:59:59Z",
                                    fatal=True, line=field.line))
        elif expires <= now:
            problems.append(Problem("expired",
                                    f"the file expired on {expires.isoformat()}; stale "
                                    "contact details should not be used", fatal=True,
                                    line=field.line))
        elif expires - now > ONE_YEAR:
            problems.append(Problem("expires-far-future",
                                    f"Expires {expires.date().isoformat()} is more than a year "
                                    "away; RFC 9116 recommends less, so stale files expire",
                                    line=field.line))
    if language_fields:
        if len(language_fields) > 1:
            problems.append(Problem("multiple-preferred-languages",
                                    "Preferred-Languages appears more than once; the first "
                                    "was used", line=language_fields[1].line))
        field = language_fields[0]
        tags = [tag.strip(" \t") for tag in field.value.split(",")]
        bad = [tag for tag in tags if not _LANG_TAG.fullmatch(tag)]
        if bad:
            problems.append(Problem("bad-language-tag",
                                    f"line {field.line}: {', '.join(_show(t, 20) for t in bad)} "
                                    "is not a language tag such as en or de-CH",
                                    line=field.line))
        languages = tuple(tag for tag in tags if _LANG_TAG.fullmatch(tag))
    if url is not None and values["canonical"] and url not in values["canonical"]:
        problems.append(Problem("not-canonical",
                                f"the file was fetched from {_show(url)}, which none of its "
                                "Canonical fields lists; its contents should not be trusted"))
    if signed and not values["canonical"]:
        problems.append(Problem("signed-without-canonical",
                                "the file is signed but names no Canonical URI, so the "
                                "signature does not vouch for where it belongs"))

    return SecurityTxt(
        contact=tuple(values["contact"]),
        expires=expires,
        encryption=tuple(values["encryption"]),
        acknowledgments=tuple(values["acknowledgments"]),
        preferred_languages=languages,
        canonical=tuple(values["canonical"]),
        policy=tuple(values["policy"]),
        hiring=tuple(values["hiring"]),
        csaf=tuple(values["csaf"]),
        fields=tuple(fields),
        comments=tuple(comments),
        signed=signed,
        problems=tuple(problems),
    )


def _too_large() -> Problem:
    return Problem("too-large",
                   f"the file is larger than {MAX_FILE_BYTES // 1024} KiB and was not read "
                   "(RFC 9116 §5.4)", fatal=True)
