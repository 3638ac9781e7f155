"""Which addresses a scan may connect to.

Outside lab mode only globally routable unicast addresses are scan targets, whatever DNS
says: a scan must never become a probe of someone's internal network. In lab mode only
loopback is allowed, so a test or demo can never reach anything off this machine.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LAB_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
# Ranges Python's is_global does not flag but that must never be scanned.
_EXTRA_BLOCKED = tuple(ipaddress.ip_network(n) for n in (
    "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # documentation (RFC 5737)
    "198.18.0.0/15",  # benchmarking (RFC 2544)
    "240.0.0.0/4", "255.255.255.255/32",
    "2001:db8::/32", "3fff::/20",  # documentation (RFC 3849, RFC 9637)
    "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation (RFC 8215)
    "fc00::/7", "fe80::/10", "fec0::/10",
))


class TargetRefused(Exception):
    """Raised when a connection to an address is not allowed in this mode."""


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in a mapped, translated, 6to4 or Teredo IPv6 address."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 well-known prefix (RFC 6052)
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address))
    return None


def refusal_reason(address: str | IPAddress, *, lab: bool) -> str | None:
    """Why a connection to this address is not allowed, or None when it is."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return f"{address!r} is not an IP address"
    if lab:
        inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
        candidate = inner or ip
        if any(candidate in net for net in _LAB_NETWORKS if net.version == candidate.version):
            return None
        return f"{ip} is not a loopback address, and lab mode only connects to loopback"
    inner = embedded_ipv4(ip)
    if inner is not None:
        reason = refusal_reason(inner, lab=False)
        if reason:
            return f"{ip} embeds {inner}: {reason}"
    if ip.is_loopback:
        return f"{ip} is a loopback address (this machine)"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private and not any(ip in n for n in _EXTRA_BLOCKED):
        return f"{ip} is a private address (an internal network)"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_unspecified:
        return f"{ip} is the unspecified address"
    for net in _EXTRA_BLOCKED:
        if ip.version == net.version and ip in net:
            return f"{ip} is in the reserved range {net}"
    if ip.is_reserved or not ip.is_global:
        return f"{ip} is a reserved or non-routable address"
    return None


def check_target(address: str, *, lab: bool) -> None:
    reason = refusal_reason(address, lab=lab)
    if reason:
        raise TargetRefused(reason)
