"""Sender Policy Framework (RFC 7208): record parsing, check_host() and a policy audit.

    parse_record(text) -> SpfRecord            (raises SpfSyntaxError)
    is_spf_record(text) -> bool
    await check_host(ip, domain, sender, helo=..., dns=...) -> SpfResult
    await analyse_policy(domain, dns=...) -> SpfPolicyReport

``dns`` is any object with ``async lookup(name, rdtype) -> DnsAnswer``, normally
cyberbasics.net.dns.DnsClient. Only the standard library and cyberbasics.net.dns
are imported, so the CLI starts quickly.
"""

from __future__ import annotations

from cyberbasics.protocols.spf_audit import (
    SpfNestedError,
    SpfPolicyNode,
    SpfPolicyReport,
    analyse_policy,
)
from cyberbasics.protocols.spf_eval import (
    MAX_DNS_TERMS,
    MAX_MX_NAMES,
    MAX_PTR_NAMES,
    MAX_VOID_LOOKUPS,
    RESULTS,
    SpfResult,
    check_host,
)
from cyberbasics.protocols.spf_syntax import (
    DNS_TERMS,
    QUALIFIER_RESULTS,
    Mechanism,
    Modifier,
    SpfRecord,
    SpfSyntaxError,
    is_spf_record,
    parse_record,
)

__all__ = [
    "DNS_TERMS",
    "MAX_DNS_TERMS",
    "MAX_MX_NAMES",
    "MAX_PTR_NAMES",
    "MAX_VOID_LOOKUPS",
    "QUALIFIER_RESULTS",
    "RESULTS",
    "Mechanism",
    "Modifier",
    "SpfNestedError",
    "SpfPolicyNode",
    "SpfPolicyReport",
    "SpfRecord",
    "SpfResult",
    "SpfSyntaxError",
    "analyse_policy",
    "check_host",
    "is_spf_record",
    "parse_record",
]
