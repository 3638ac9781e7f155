"""Active scans of the demo world, with the lab's service stand-ins on its mail hosts."""

from __future__ import annotations

from dataclasses import replace

from cyberbasics.lab.services import ServiceLab, demo_layout, demo_ports
from cyberbasics.scan.engine import scan_domains

from .helpers import ACTIVE_CHECKS, status

EXPECTED = {
    "plumber.example": {
        "services.remote_access": ("fail", "exposed"), "services.file_sharing": ("fail", "exposed"),
        "services.databases": ("fail", "exposed"), "services.admin_panels": ("fail", "panel"),
        "services.mail_cleartext": ("fail", "cleartext"), "services.ssh": ("warn", "outdated"),
        "web.sensitive_files": ("pass", "ok"),
    },
    "bakery.example": {
        "services.remote_access": ("pass", "ok"), "services.file_sharing": ("pass", "ok"),
        "services.databases": ("pass", "ok"), "services.admin_panels": ("pass", "ok"),
        "services.mail_cleartext": ("pass", "starttls"), "services.ssh": ("info", "named"),
        "web.sensitive_files": ("pass", "ok"),
    },
}


async def test_active_scan_of_the_demo_world(world):
    async with ServiceLab(demo_layout(), ports=demo_ports()) as services:
        config = world.config(active=True, checks=ACTIVE_CHECKS, rate_limit=1000.0,
                              timeout=0.5)
        config = replace(config, port_map={**config.port_map, **services.port_map})
        results = await scan_domains(sorted(EXPECTED), config)
    for result in results:
        found = {f.check: f for f in result.findings}
        assert status(found) == EXPECTED[result.domain], result.domain
    plumber = {f.check: f for f in results[1].findings}
    assert "Redis 7.2.4 on port 6379 with no password" in plumber["services.databases"].summary


async def test_a_vpn_portal_with_a_known_exploited_version_fails_the_vulns_check(world):
    async with ServiceLab(demo_layout(), ports=demo_ports()) as services:
        config = world.config(active=True, checks=("vulns.known_exploited",),
                              rate_limit=1000.0, timeout=0.5)
        config = replace(config, port_map={**config.port_map, **services.port_map})
        [florist] = await scan_domains(["florist.example"], config)
        passive = replace(config, active=False)
        [unseen] = await scan_domains(["florist.example"], passive)
    [finding] = florist.findings
    assert (str(finding.status), finding.result) == ("fail", "affected")
    assert "CVE-" in finding.summary and "FortiOS" in finding.summary
    # Without the active scan the portal is not seen, so nothing is claimed about it.
    assert "FortiOS" not in unseen.findings[0].summary
