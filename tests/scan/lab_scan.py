"""Run the real engine against a lab DNS server built from zone specs, for check tests."""

from __future__ import annotations

import contextlib
from pathlib import Path

from cyberbasics.config import ScanConfig
from cyberbasics.lab.dns_server import LabDnsServer
from cyberbasics.lab.zones import LabZoneSet, ZoneSpec
from cyberbasics.scan.engine import scan_domains

ROOT = ZoneSpec(".", {}, signed=True)
TLDS = [ZoneSpec("com", {}, signed=True), ZoneSpec("example", {}, signed=True)]


def ns_glue(domain: str) -> dict:
    return {f"ns1.{domain}": [("A", "127.0.0.1")], f"ns2.{domain}": [("A", "127.0.0.1")]}


@contextlib.asynccontextmanager
async def lab_dns(specs, tmp_path: Path, *, faults=None, delay=0.0, port_map=None, **config):
    zones = LabZoneSet([ROOT, *TLDS, *specs])
    anchor = tmp_path / "lab-anchor.txt"
    anchor.write_text(zones.trust_anchor_text())
    async with LabDnsServer(zones, faults=faults, delay=delay) as server:
        settings = {"timeout": 0.5, "domain_timeout": 10.0, **config}
        yield server, ScanConfig(nameservers=(server.address,), trust_anchor_file=anchor,
                                 lab=True, port_map={53: server.port, **(port_map or {})},
                                 **settings)


async def findings_for(specs, domain, tmp_path, *, checks=(), **kwargs):
    """{check id: finding} for one domain."""
    async with lab_dns(specs, tmp_path, checks=tuple(checks), **kwargs) as (_, config):
        [result] = await scan_domains([domain], config)
    assert result.error is None, result.error
    return {f.check: f for f in result.findings}
