"""Shared pieces for the ``tag=value`` records of email authentication.

Two record syntaxes live in the DNS:

* the DKIM tag-list of RFC 6376 §3.2, which DKIM key records use and which
  DMARC records follow (RFC 7489 §6.3, RFC 9989 §4.7): ``;``-separated
  ``name=value`` pairs, whitespace allowed around names, ``=`` and values,
  an optional trailing ``;``, and "if a tag name does occur more than once,
  the entire tag-list is invalid";
* the stricter version-first records of MTA-STS (RFC 8461 §3.1) and TLSRPT
  (RFC 8460 §3): ``v=...`` spelled exactly, whitespace only around the ``;``
  delimiters, extension fields ``name=value`` with a restricted character set.

Also here: reporting URIs (``mailto:`` / ``https:``) as DMARC and TLSRPT use
them, and a host-name check.  Everything is pure and never raises anything
but :class:`TagListError` (a ``ValueError``) on bad text.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

__all__ = [
    "ReportUri",
    "Tag",
    "TagList",
    "TagListError",
    "is_hostname",
    "parse_report_uri",
    "split_tag_list",
    "split_versioned_fields",
    "valid_extension_name",
    "valid_extension_value",
]


class TagListError(ValueError):
    """A tag list that cannot be read; the message names the offending tag."""


# RFC 6376 §3.2: tag-name = ALPHA *ALNUMPUNC, ALNUMPUNC = ALPHA / DIGIT / "_"
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# FWS as it survives in a TXT record: spaces, tabs, and folded line breaks.
_FWS = " \t\r\n"
# RFC 8461 / RFC 8460 extension names: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
_EXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")
# ... and values: 1*(%x21-3A / %x3C / %x3E-7E), i.e. visible ASCII but "=" and ";"
_EXT_VALUE = re.compile(r"[\x21-\x3a\x3c\x3e-\x7e]+")
_WSP = " \t"
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?")


def _show(text: str, limit: int = 40) -> str:
    """A short, printable rendering of part of a record for an error message."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(shown)


@dataclass(frozen=True)
class Tag:
    name: str
    value: str

    def to_json(self) -> dict:
        return {"name": self.name, "value": self.value}


@dataclass(frozen=True)
class TagList:
    """The tags of one record in the order they were published."""

    tags: tuple[Tag, ...]
    skipped: tuple[str, ...] = ()  # segments that were not tag=value pairs (lenient mode only)

    def get(self, name: str) -> str | None:
        for tag in self.tags:
            if tag.name == name:
                return tag.value
        return None

    def names(self) -> tuple[str, ...]:
        return tuple(tag.name for tag in self.tags)

    def __contains__(self, name: object) -> bool:
        return any(tag.name == name for tag in self.tags)

    def to_json(self) -> dict:
        data: dict = {"tags": [tag.to_json() for tag in self.tags]}
        if self.skipped:
            data["skipped"] = list(self.skipped)
        return data


def split_tag_list(text: str, *, fold_names: bool = False, lenient: bool = False) -> TagList:
    """Split an RFC 6376 §3.2 tag-list into its tags.

    Names are case-sensitive unless ``fold_names`` (DMARC's ABNF literals are
    case-insensitive, DKIM's tag names are not).  Values keep their inner
    whitespace and lose the whitespace around them.  Empty segments (``;;``)
    are skipped.  A segment without ``=`` or with a bad name raises, or with
    ``lenient`` is recorded in :attr:`TagList.skipped`.  A repeated tag name
    always raises, as RFC 6376 §3.2 makes the whole list invalid.
    """
    if not isinstance(text, str):
        raise TagListError("the record is not text")
    tags: list[Tag] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for segment in text.split(";"):
        segment = segment.strip(_FWS)
        if not segment:
            continue
        name, equals, value = segment.partition("=")
        name = name.strip(_FWS)
        if not equals or not _TAG_NAME.fullmatch(name):
            if lenient:
                skipped.append(segment)
                continue
            if not equals:
                raise TagListError(f"{_show(segment)} is not a tag=value pair")
            raise TagListError(f"{_show(name)} is not a valid tag name")
        if fold_names:
            name = name.lower()
        if name in seen:
            raise TagListError(f"tag '{name}' appears more than once")
        seen.add(name)
        tags.append(Tag(name, value.strip(_FWS)))
    return TagList(tuple(tags), tuple(skipped))


def valid_extension_name(name: str) -> bool:
    return bool(_EXT_NAME.fullmatch(name))


def valid_extension_value(value: str) -> bool:
    return bool(_EXT_VALUE.fullmatch(value))


def split_versioned_fields(
    text: str, version: str, *, record: str
) -> tuple[list[tuple[str, str]], list[str]]:
    """Split an MTA-STS / TLSRPT style record: ``version`` first, then ``name=value`` fields.

    ``version`` is the exact, case-sensitive opening (``"v=STSv1"``).  Returns
    the fields after it as (name, raw value) pairs in order, plus warnings for
    tolerated deviations (stray empty fields, trailing whitespace).  Field
    names are checked against the extension-name grammar; values are left to
    the caller, since each registered field has its own syntax.
    """
    if not isinstance(text, str):
        raise TagListError(f"the {record} record is not text")
    warnings: list[str] = []
    stripped = text.rstrip(_WSP)
    if stripped != text:
        warnings.append("the record ends with whitespace")
    head, delimiter, rest = stripped.partition(";")
    if head.rstrip(_WSP) != version:
        first = head.strip(_WSP)
        if first == version:
            raise TagListError(f"the record must begin with {version!r}, not with whitespace")
        if first.lower().replace(" ", "").replace("\t", "") == version.lower():
            raise TagListError(
                f"the record must begin with exactly {version!r} (found {_show(first)}; "
                "the version is case-sensitive and takes no spaces)"
            )
        raise TagListError(f"the record must begin with {version!r} (found {_show(first)})")
    fields: list[tuple[str, str]] = []
    segments = rest.split(";") if delimiter else []
    for index, segment in enumerate(segments):
        segment = segment.strip(_WSP)
        if not segment:
            if index != len(segments) - 1:
                warnings.append("the record has an empty field between semicolons")
            continue
        name, equals, value = segment.partition("=")
        if not equals:
            raise TagListError(f"field {_show(segment)} is not a name=value pair")
        if name != name.rstrip(_WSP) or value != value.lstrip(_WSP):
            raise TagListError(f"field {_show(segment)} has spaces around '=', which are not "
                               "allowed")
        if not valid_extension_name(name):
            raise TagListError(f"{_show(name)} is not a valid field name")
        fields.append((name, value))
    return fields, warnings


def is_hostname(name: str) -> bool:
    """An ASCII host name of letter-digit-hyphen labels (RFC 5321 ``Domain``), no trailing dot."""
    if not isinstance(name, str) or not name or len(name) > 253 or not name.isascii():
        return False
    return all(_LABEL.fullmatch(label) for label in name.split("."))


@dataclass(frozen=True)
class ReportUri:
    """One reporting destination from a ``rua=`` / ``ruf=`` list."""

    text: str  # as published, size suffix included
    uri: str  # without DMARC's obsolete "!size" suffix
    scheme: str | None  # lower case
    address: str | None  # mailto: the addr-spec (percent-decoded)
    host: str | None  # mailto: the address's domain; https: the URL host; lower case
    size_limit: int | None = None  # bytes, from DMARC's obsolete "!size" suffix
    problem: str | None = None  # why the URI is not usable; None when it is

    @property
    def valid(self) -> bool:
        return self.problem is None

    def to_json(self) -> dict:
        data: dict = {"uri": self.uri, "valid": self.valid}
        if self.text != self.uri:
            data["text"] = self.text
        for key in ("scheme", "address", "host", "size_limit", "problem"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)", re.DOTALL)
_SIZE = re.compile(r"([0-9]{1,20})([kmgtKMGT]?)")
_SIZE_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
# Characters that cannot appear in an addr-spec local part even after decoding.
_BAD_LOCAL = re.compile(r"[\x00-\x20\x7f<>()\[\]\\,;:@\"]")


def parse_report_uri(
    text: str, *, schemes: tuple[str, ...] = ("mailto", "https"), allow_size: bool = False
) -> ReportUri:
    """Read one reporting URI; never raises, an unusable URI carries a ``problem``.

    ``allow_size`` accepts DMARC's obsolete ``!size`` suffix (RFC 7489 §6.4:
    "!" digits and an optional k/m/g/t unit, powers of two; RFC 9989 §4.8
    keeps it as obsolete syntax receivers ignore).
    """
    raw = text.strip(_FWS)
    uri = raw
    size_limit = None

    def bad(problem: str, scheme: str | None = None) -> ReportUri:
        return ReportUri(raw, uri, scheme, None, None, size_limit, problem)

    if not raw:
        return bad("the URI is empty")
    if allow_size and "!" in raw:
        uri, _, size_text = raw.rpartition("!")
        match = _SIZE.fullmatch(size_text)
        if not match:
            return bad(f"the size limit {_show('!' + size_text)} is not a number with an optional "
                       "k, m, g or t")
        size_limit = int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    match = _SCHEME.fullmatch(uri)
    if not match:
        return bad(f"{_show(uri)} does not start with a scheme such as mailto:")
    scheme = match.group(1).lower()
    if scheme not in schemes:
        allowed = " or ".join(f"{s}:" for s in schemes)
        return bad(f"the scheme {scheme}: is not supported here (use {allowed})", scheme)
    if not uri.isascii() or any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in uri):
        return bad("the URI contains spaces, control or non-ASCII characters", scheme)
    if scheme == "mailto":
        address = urllib.parse.unquote(match.group(2).split("?", 1)[0], errors="replace")
        local, at, domain = address.rpartition("@")
        if not at or not local:
            return bad(f"{_show(address)} is not an email address", scheme)
        if _BAD_LOCAL.search(local) or not local.isascii():
            return bad(f"the mailbox part of {_show(address)} is not valid", scheme)
        domain = domain.lower()
        if domain.endswith("."):
            domain = domain[:-1]
        if not is_hostname(domain):
            return bad(f"{_show(domain)} is not a valid mail domain", scheme)
        return ReportUri(raw, uri, scheme, address, domain, size_limit, None)
    try:
        parts = urllib.parse.urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return bad(f"the URL cannot be read: {exc}", scheme)
    if not parts.netloc or not host:
        return bad("the URL has no host name", scheme)
    host = host.rstrip(".")
    if not is_hostname(host):
        return bad(f"{_show(host)} is not a valid host name", scheme)
    return ReportUri(raw, uri, scheme, None, host, size_limit, None)
