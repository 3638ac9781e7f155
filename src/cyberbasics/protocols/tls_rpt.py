"""SMTP TLS Reporting records (RFC 8460 §3), published at ``_smtp._tls.<domain>``::

    tlsrpt-record     = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
    field-delim       = *WSP ";" *WSP
    tlsrpt-field      = tlsrpt-rua / tlsrpt-extension   ; rua is required
    tlsrpt-version    = %s"v=TLSRPTv1"
    tlsrpt-rua        = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
    tlsrpt-extension  = tlsrpt-ext-name "=" tlsrpt-ext-value

Reports go to ``mailto:`` or ``https:`` URIs; at least one must be usable.
Unknown (extension) fields are ignored but must be well formed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cyberbasics.protocols.tagvalue import (
    ReportUri,
    TagListError,
    parse_report_uri,
    split_versioned_fields,
    valid_extension_value,
)

__all__ = ["ReportUri", "TlsRptError", "TlsRptRecord", "is_tlsrpt_record", "parse_tlsrpt_record"]


class TlsRptError(ValueError):
    """The TLSRPT record cannot be read; the message names the field at fault."""


@dataclass(frozen=True)
class TlsRptRecord:
    raw: str
    rua: tuple[ReportUri, ...]  # every URI listed, usable or not (see ReportUri.valid)
    extensions: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def valid_rua(self) -> tuple[ReportUri, ...]:
        return tuple(uri for uri in self.rua if uri.valid)

    def to_json(self) -> dict:
        return {
            "raw": self.raw,
            "rua": [uri.to_json() for uri in self.rua],
            "extensions": [[name, value] for name, value in self.extensions],
            "warnings": list(self.warnings),
        }


def is_tlsrpt_record(text: str) -> bool:
    """The TXT string begins with ``v=TLSRPTv1;`` (RFC 8460 §3's filter for several records)."""
    return isinstance(text, str) and re.match(r"v=TLSRPTv1[ \t]*;", text) is not None


def parse_tlsrpt_record(text: str) -> TlsRptRecord:
    """Parse a TLSRPT TXT record; raises :class:`TlsRptError` when it is unusable."""
    try:
        fields, warnings = split_versioned_fields(text, "v=TLSRPTv1", record="TLSRPT")
    except TagListError as exc:
        raise TlsRptError(f"TLSRPT record: {exc}") from None
    rua: tuple[ReportUri, ...] | None = None
    extensions: list[tuple[str, str]] = []
    for name, value in fields:
        if name == "rua":
            if rua is not None:
                warnings.append("rua appears more than once; the first one was used")
                continue
            items = value.split(",")
            if any(not item.strip(" \t") for item in items):
                warnings.append("rua has an empty entry (a stray comma)")
            rua = tuple(parse_report_uri(item, schemes=("mailto", "https"))
                        for item in items if item.strip(" \t"))
            continue
        if not valid_extension_value(value):
            raise TlsRptError(
                f"TLSRPT record: the value of {name!r} is empty or has spaces, '=' or "
                "non-ASCII characters"
            )
        extensions.append((name, value))
    if rua is None:
        hint = ""
        if any(name.lower() == "rua" for name, _ in fields):
            hint = " (field names are case-sensitive: write rua= in lower case)"
        raise TlsRptError(f"TLSRPT record: the rua field is missing{hint}")
    if not any(uri.valid for uri in rua):
        details = "; ".join(f"{uri.text[:60]!r}: {uri.problem}" for uri in rua[:3]) or "it is empty"
        raise TlsRptError(f"TLSRPT record: rua has no usable mailto: or https: URI ({details})")
    for uri in rua:
        if not uri.valid:
            warnings.append(f"rua entry {uri.text[:60]!r} cannot be used: {uri.problem}")
    return TlsRptRecord(text, rua, tuple(extensions), tuple(warnings))
