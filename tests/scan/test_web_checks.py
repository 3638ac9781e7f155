"""The website checks against the demo world's sites, and their could-not-check cases."""

from dataclasses import replace

import pytest

from cyberbasics.lab.faults import FaultServer
from cyberbasics.lab.world import WEB_ADDRESS
from cyberbasics.scan.engine import scan_domains

EXPECTED = {
    "bakery.example": {
        "web.https": ("pass", "ok"), "web.http_redirect": ("pass", "ok"),
        "web.hsts": ("pass", "ok"), "web.headers.csp": ("pass", "ok"),
        "web.headers.framing": ("pass", "frame-ancestors"),
        "web.headers.nosniff": ("pass", "ok"), "web.headers.referrer": ("pass", "ok"),
        "web.cookies": ("pass", "ok"), "web.mixed_content": ("pass", "ok"),
        "web.security_txt": ("pass", "ok"),
        "web.software": ("pass", "names-only"),  # the lab server says "cyberbasics-lab"
    },
    "plumber.example": {
        "web.https": ("fail", "bad-certificate"), "web.http_redirect": ("fail", "no-redirect"),
        "web.hsts": ("info", "no-https-site"), "web.headers.csp": ("info", "no-https-site"),
        "web.cookies": ("info", "no-https-site"),
        "web.security_txt": ("info", "no-https-site"), "web.software": ("warn", "versions"),
    },
    "florist.example": {
        "web.https": ("pass", "ok"), "web.http_redirect": ("warn", "redirect-other-host"),
        "web.hsts": ("warn", "short"), "web.headers.csp": ("fail", "weak"),
        "web.headers.framing": ("fail", "missing"), "web.headers.nosniff": ("fail", "missing"),
        "web.headers.referrer": ("fail", "leaks"), "web.cookies": ("fail", "not-secure"),
        "web.mixed_content": ("fail", "active"), "web.security_txt": ("info", "missing"),
        "web.software": ("warn", "versions"),
    },
    "parked.example": {
        "web.https": ("info", "no-website"), "web.http_redirect": ("info", "no-website"),
        "web.hsts": ("info", "no-website"), "web.software": ("info", "no-website"),
    },
}


@pytest.mark.parametrize("domain", sorted(EXPECTED))
async def test_demo_sites(world, domain):
    [result] = await scan_domains([domain], world.config(checks=("web.*",)))
    found = {f.check: (str(f.status), f.result) for f in result.findings}
    for check, expected in EXPECTED[domain].items():
        assert found[check] == expected, (check, found[check])


async def test_software_versions_are_named(world):
    [result] = await scan_domains(["plumber.example"], world.config(checks=("web.software",)))
    summary = result.findings[0].summary
    assert "Apache/2.4.29" in summary and "PHP/7.2.24" in summary and "WordPress 4.9.8" in summary


async def test_silent_web_servers_are_could_not_check(world):
    async with FaultServer("drop", host=WEB_ADDRESS, max_duration=5.0) as silent:
        config = world.config(checks=("web.*",), timeout=0.3, domain_timeout=5.0)
        config = replace(config, port_map={**config.port_map, 443: silent.port, 80: silent.port})
        [result] = await scan_domains(["bakery.example"], config)
    statuses = {f.check: str(f.status) for f in result.findings}
    assert statuses["web.https"] == "error"
    assert statuses["web.http_redirect"] == "error"
    assert statuses["web.hsts"] == "error"
    assert statuses["web.security_txt"] == "error"


async def test_a_refused_plain_http_port_means_no_plain_http(world):
    config = world.config(checks=("web.http_redirect",), timeout=0.5)
    config = replace(config, port_map={**config.port_map, 80: 9})  # nothing listens on 9
    [result] = await scan_domains(["bakery.example"], config)
    assert (str(result.findings[0].status), result.findings[0].result) == \
        ("pass", "no-plain-http")
