"""Everything a scan takes from outside: resolvers, trust, ports, limits, clock.

Network code reads these from one object, so the lab and the tests configure a scan
instead of patching it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .net.target_lock import LockProvider

DEFAULT_DNS_PORT = 53


class ConfigError(ValueError):
    """A configuration value the user gave cannot be used; the message says why."""


def lab_mode_from_environment() -> bool:
    return os.environ.get("CYBERBASICS_LAB", "").strip() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class ScanConfig:
    nameservers: tuple[tuple[str, int], ...]
    ca_file: Path | None = None
    trust_anchor_file: Path | None = None
    timeout: float = 5.0  # per network operation
    domain_timeout: float = 60.0  # per domain, everything included
    concurrency: int = 64  # domains scanned at once
    lab: bool = False
    port_map: dict[int, int] = field(default_factory=dict)
    checks: tuple[str, ...] = ()  # glob patterns on check ids; empty means all
    active: bool = False  # port connects and path probes: only with the owner's permission
    deep: bool = False  # enumerate every TLS suite with SSLyze instead of a few probes
    rate_limit: float = 20.0  # active mode: new connections per second per target address
    # active mode: where the per-address locks live; None: lock files on this machine
    target_lock_provider: LockProvider | None = None
    clock: Callable[[], float] = time.time

    def __post_init__(self):
        if not self.nameservers:
            raise ConfigError("at least one nameserver is needed")
        if self.port_map and not self.lab:
            raise ConfigError("--port-map works only in lab mode (--lab)")
        if self.timeout <= 0 or self.domain_timeout <= 0:
            raise ConfigError("timeouts must be positive")
        if not 0 < self.rate_limit <= 1000:
            raise ConfigError("the rate limit must be above 0 and at most 1000 per second")
        if self.concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        if self.ca_file is not None and not Path(self.ca_file).is_file():
            raise ConfigError(f"CA file {self.ca_file} does not exist")
        if self.trust_anchor_file is not None and not Path(self.trust_anchor_file).is_file():
            raise ConfigError(f"trust anchor file {self.trust_anchor_file} does not exist")

    def port(self, port: int) -> int:
        """The port to connect to for a service's standard port (remapped only in the lab)."""
        return self.port_map.get(port, port)


def parse_nameserver(text: str) -> tuple[str, int]:
    """HOST, HOST:PORT, [V6] or [V6]:PORT; the address in its canonical form ("::1" for
    "0:0:0:0:0:0:0:1", IPv4 for IPv4-mapped), as replies from it are reported and matched."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":") if rest else ""
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ConfigError(f"nameserver {text!r}: give an IP address, optionally with :PORT") \
            from None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:192.0.2.1 is 192.0.2.1
    host = str(address)
    try:
        port = int(port_text) if port_text else DEFAULT_DNS_PORT
    except ValueError:
        raise ConfigError(f"nameserver {text!r}: the port is not a number") from None
    if not 0 < port < 65536:
        raise ConfigError(f"nameserver {text!r}: the port is out of range")
    return host, port


def parse_port_map(text: str) -> dict[int, int]:
    """'443=8443,25=2525' -> {443: 8443, 25: 2525}."""
    mapping: dict[int, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        left, sep, right = item.partition("=")
        try:
            if not sep:
                raise ValueError
            source, target = int(left), int(right)
        except ValueError:
            raise ConfigError(f"port map entry {item!r}: write PORT=PORT, e.g. 443=8443") \
                from None
        if not (0 < source < 65536 and 0 < target < 65536):
            raise ConfigError(f"port map entry {item!r}: ports go from 1 to 65535")
        mapping[source] = target
    return mapping


def system_nameservers() -> tuple[tuple[str, int], ...]:
    """The operating system's resolvers, read only when the user named none."""
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=True)
    return tuple((ns, resolver.nameserver_ports.get(ns, resolver.port))
                 for ns in resolver.nameservers)
