"""Building active scans against lab services: zones, a service layout, the engine."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path

# Importing registers the active collectors and checks (scan/*/__init__ will, once listed).
import cyberbasics.scan.checks.services
import cyberbasics.scan.checks.web_active
import cyberbasics.scan.evidence.sensitive_files
import cyberbasics.scan.evidence.services  # noqa: F401
from cyberbasics.lab.services import ServiceLab
from cyberbasics.lab.zones import ZoneSpec
from cyberbasics.scan.engine import scan_domains
from cyberbasics.scan.evidence.services import PORTS
from tests.scan.lab_scan import lab_dns, ns_glue

ALL_PORTS = sorted({p.port for p in PORTS} | {80, 443})
ACTIVE_CHECKS = ("services.*", "web.sensitive_files")
_addresses = (f"127.0.{third}.{fourth}" for third in itertools.count(60)
              for fourth in range(1, 250))


def new_address() -> str:
    """A loopback address no other test of this run uses."""
    return next(_addresses)


def records_for(domain: str, *, apex=(), www=(), mail=None, mx: str | None = None,
                aaaa=()) -> dict:
    """Zone records: the domain's and www.'s addresses, and an MX (``mail.<domain>`` with
    the addresses ``mail``, or the name ``mx``)."""
    records = {domain: [("A", a) for a in apex] + [("AAAA", a) for a in aaaa], **ns_glue(domain)}
    if www:
        records[f"www.{domain}"] = [("A", a) for a in www]
    if mail:
        records[f"mail.{domain}"] = [("A", a) for a in mail]
        records[domain].append(("MX", f"10 mail.{domain}."))
    elif mx:
        records[domain].append(("MX", f"10 {mx}."))
    return records


@contextlib.asynccontextmanager
async def active_lab(tmp_path: Path, domain: str, records: dict, layout: dict, *,
                     filtered=None, checks=ACTIVE_CHECKS, extra_zones=(), **settings):
    """(ServiceLab, ScanConfig) for an active scan of ``domain`` against ``layout``."""
    settings = {"rate_limit": 1000.0, "timeout": 0.4, "domain_timeout": 10.0, **settings}
    async with ServiceLab(layout, ports=ALL_PORTS, filtered=filtered) as services, \
            lab_dns([ZoneSpec(domain, records), *extra_zones], tmp_path, port_map=services.port_map,
                    active=True, checks=tuple(checks), **settings) as (_, config):
        yield services, config


async def findings(config, domain: str) -> dict:
    [result] = await scan_domains([domain], config)
    assert result.error is None, result.error
    return {f.check: f for f in result.findings}


def status(found: dict) -> dict:
    return {check: (str(f.status), f.result) for check, f in found.items()}
