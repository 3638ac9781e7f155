"""MTA-STS (RFC 8461): the ``_mta-sts`` TXT record, the policy file and MX matching.

TXT record (§3.1)::

    sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
    sts-version     = %s"v=STSv1"
    sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
    sts-extension   = sts-ext-name "=" sts-ext-value

Policy file (§3.2), served at ``https://mta-sts.<domain>/.well-known/mta-sts.txt``:
``key: value`` lines ending in LF or CRLF with ``version: STSv1``, ``mode:
enforce|testing|none``, ``max_age`` (0 to 31557600 seconds) and one ``mx:``
line per allowed MX pattern (at least one unless the mode is ``none``).
Names and registered values are case-sensitive; unknown fields are ignored;
of a repeated field other than ``mx`` only the first counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cyberbasics.protocols.tagvalue import (
    TagListError,
    is_hostname,
    split_versioned_fields,
    valid_extension_name,
    valid_extension_value,
)

__all__ = [
    "MAX_AGE_LIMIT",
    "MAX_POLICY_BYTES",
    "StsPolicy",
    "StsPolicyError",
    "StsRecord",
    "StsRecordError",
    "is_sts_record",
    "mx_matches",
    "parse_sts_policy",
    "parse_sts_record",
    "uncovered_mx_hosts",
]

MAX_AGE_LIMIT = 31557600  # RFC 8461 §3.2: one year
# RFC 8461 §3.3 suggests senders cap the policy body at 64 kilobytes; a policy
# larger than that may be refused by senders, so the parser refuses it too.
MAX_POLICY_BYTES = 64 * 1024
MODES = ("enforce", "testing", "none")

_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_WSP = " \t"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # inside a value, even HTAB is not allowed


class StsRecordError(ValueError):
    """The ``_mta-sts`` TXT record cannot be read; the message names the field at fault."""


class StsPolicyError(ValueError):
    """The policy file cannot be read; the message names the line at fault."""


@dataclass(frozen=True)
class StsRecord:
    raw: str
    id: str
    extensions: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "raw": self.raw,
            "id": self.id,
            "extensions": [[name, value] for name, value in self.extensions],
            "warnings": list(self.warnings),
        }


def is_sts_record(text: str) -> bool:
    """The TXT string begins with ``v=STSv1;`` (RFC 8461 §3.1's filter for several records)."""
    return isinstance(text, str) and re.match(r"v=STSv1[ \t]*;", text) is not None


def parse_sts_record(text: str) -> StsRecord:
    """Parse an ``_mta-sts`` TXT record; raises :class:`StsRecordError` when invalid."""
    try:
        fields, warnings = split_versioned_fields(text, "v=STSv1", record="MTA-STS")
    except TagListError as exc:
        raise StsRecordError(f"MTA-STS record: {exc}") from None
    record_id = None
    extensions: list[tuple[str, str]] = []
    for name, value in fields:
        if name == "id":
            if not _ID.fullmatch(value):
                raise StsRecordError(
                    f"MTA-STS record: id={value[:40]!r} must be 1 to 32 letters and digits"
                )
            if record_id is not None:
                warnings.append("id appears more than once; the first one was used")
                continue
            record_id = value
            continue
        if not valid_extension_value(value):
            raise StsRecordError(
                f"MTA-STS record: the value of {name!r} is empty or has spaces, '=' or "
                "non-ASCII characters"
            )
        extensions.append((name, value))
    if record_id is None:
        hint = ""
        if any(name.lower() == "id" for name, _ in fields):
            hint = " (field names are case-sensitive: write id= in lower case)"
        raise StsRecordError(f"MTA-STS record: the id field is missing{hint}")
    return StsRecord(text, record_id, tuple(extensions), tuple(warnings))


@dataclass(frozen=True)
class StsPolicy:
    version: str
    mode: str
    max_age: int
    mx: tuple[str, ...] = ()  # lower case, as patterns ("*.example.com" or "mx.example.com")
    extensions: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def enforcing(self) -> bool:
        return self.mode == "enforce"

    @property
    def testing(self) -> bool:
        return self.mode == "testing"

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "mode": self.mode,
            "max_age": self.max_age,
            "mx": list(self.mx),
            "extensions": [[name, value] for name, value in self.extensions],
            "warnings": list(self.warnings),
        }


def _check_mx_pattern(value: str, line: int) -> str:
    pattern = value.lower()
    domain = pattern[2:] if pattern.startswith("*.") else pattern
    if "*" in domain:
        raise StsPolicyError(
            f"line {line}: mx pattern {value[:60]!r} may only use '*' as the whole leftmost "
            "label (as in *.example.com)"
        )
    if domain.endswith("."):
        raise StsPolicyError(f"line {line}: mx pattern {value[:60]!r} must not end with a dot")
    if not is_hostname(domain):
        raise StsPolicyError(f"line {line}: mx pattern {value[:60]!r} is not a valid host name")
    return pattern


def parse_sts_policy(text: str | bytes) -> StsPolicy:
    """Parse an MTA-STS policy file body; raises :class:`StsPolicyError` naming the line.

    Bodies over :data:`MAX_POLICY_BYTES` (64 KiB, the size RFC 8461 §3.3
    suggests senders accept) are refused.  Blank lines, a byte-order mark and
    repeated fields are tolerated with a warning.
    """
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_POLICY_BYTES:
            raise StsPolicyError("the policy is larger than 64 KiB")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StsPolicyError(f"the policy is not UTF-8 text (byte {exc.start})") from None
    if not isinstance(text, str):
        raise StsPolicyError("the policy must be text")
    too_big = len(text) > MAX_POLICY_BYTES
    if too_big or len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        raise StsPolicyError("the policy is larger than 64 KiB")
    warnings: list[str] = []
    if text.startswith("\ufeff"):
        text = text[1:]
        warnings.append("the policy starts with a byte-order mark")
    values: dict[str, tuple[str, int]] = {}
    mx: list[str] = []
    extensions: list[tuple[str, str]] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the optional final terminator
    for number, line in enumerate(lines, start=1):
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip(_WSP):
            warnings.append(f"line {number} is blank")
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise StsPolicyError(f"line {number}: {line[:60]!r} is not a 'key: value' line")
        if not valid_extension_name(name):
            raise StsPolicyError(f"line {number}: {name[:40]!r} is not a valid field name")
        value = value.strip(_WSP)
        if _CONTROL.search(value) or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise StsPolicyError(f"line {number}: the value of {name} contains control characters")
        if name == "mx":
            if not value:
                raise StsPolicyError(f"line {number}: mx has no value")
            mx.append(_check_mx_pattern(value, number))
        elif name in ("version", "mode", "max_age"):
            if name in values:
                warnings.append(f"line {number}: {name} is repeated; only line "
                                f"{values[name][1]} counts")
                continue
            values[name] = (value, number)
        else:
            if not value:
                raise StsPolicyError(f"line {number}: {name} has no value")
            extensions.append((name, value))
            if name.lower() in ("version", "mode", "max_age", "mx"):
                warnings.append(f"line {number}: {name!r} is not {name.lower()!r}; field names "
                                "are case-sensitive, so it was ignored")
    if "version" not in values:
        raise StsPolicyError("the version line is missing")
    version, line = values["version"]
    if version != "STSv1":
        raise StsPolicyError(f"line {line}: version is {version[:40]!r}, expected STSv1")
    if "mode" not in values:
        raise StsPolicyError("the mode line is missing")
    mode, line = values["mode"]
    if mode not in MODES:
        raise StsPolicyError(f"line {line}: mode {mode[:40]!r} is not enforce, testing or none")
    if "max_age" not in values:
        raise StsPolicyError("the max_age line is missing")
    max_age_text, line = values["max_age"]
    if not re.fullmatch(r"[0-9]{1,10}", max_age_text):
        raise StsPolicyError(f"line {line}: max_age {max_age_text[:40]!r} is not a number of "
                             "seconds")
    max_age = int(max_age_text)
    if max_age > MAX_AGE_LIMIT:
        raise StsPolicyError(f"line {line}: max_age {max_age} is above the maximum of "
                             f"{MAX_AGE_LIMIT} (one year)")
    if not mx and mode != "none":
        raise StsPolicyError(f"there is no mx line, which mode {mode} requires")
    return StsPolicy(version, mode, max_age, tuple(mx), tuple(extensions), tuple(warnings))


def mx_matches(pattern: str, host: str) -> bool:
    """Whether an MX host name matches a policy ``mx`` pattern (RFC 8461 §4.1).

    Case-insensitive; a trailing dot on the host is ignored.  ``*.example.com``
    matches exactly one extra leftmost label: ``mx1.example.com``, but not
    ``example.com`` nor ``a.mx1.example.com``.
    """
    if not isinstance(pattern, str) or not isinstance(host, str):
        return False
    pattern = pattern.lower()
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    if not host:
        return False
    if pattern.startswith("*."):
        suffix = pattern[1:]
        if "*" in suffix or not host.endswith(suffix):
            return False
        label = host[: -len(suffix)]
        return bool(label) and "." not in label
    return "*" not in pattern and pattern == host


def uncovered_mx_hosts(policy: StsPolicy | Iterable[str], hosts: Iterable[str]) -> list[str]:
    """The MX hosts that no pattern of the policy matches, in the order given, once each.

    A null MX ("" or ".") is not a host and is skipped.
    """
    patterns = policy.mx if isinstance(policy, StsPolicy) else tuple(policy)
    uncovered: list[str] = []
    for host in hosts:
        if not isinstance(host, str) or host.strip(".") == "" or host in uncovered:
            continue
        if not any(mx_matches(pattern, host) for pattern in patterns):
            uncovered.append(host)
    return uncovered
