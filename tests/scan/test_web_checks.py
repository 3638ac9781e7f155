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


# Odd sites built for one test each: a web server on its own loopback address.
async def odd_site(tmp_path, routes=None, *, redirect_to=None, https=True, http_routes=None):
    import contextlib

    from cyberbasics.lab.ca import LabCA
    from cyberbasics.lab.web import LabWebServer, Site
    from cyberbasics.lab.zones import ZoneSpec

    from .lab_scan import lab_dns, ns_glue

    ca = LabCA.create(tmp_path / "ca")
    names = ("odd.com", "www.odd.com")
    stack = contextlib.AsyncExitStack()
    port_map = {}
    if https:
        site = Site(routes=routes or {}, redirect_to=redirect_to)
        server = await stack.enter_async_context(
            LabWebServer(dict.fromkeys(names, site), host="127.0.30.1", tls=ca))
        port_map[443] = server.port
    else:
        port_map[443] = 9  # nothing listens: refused
    plain = await stack.enter_async_context(LabWebServer(
        dict.fromkeys(names, Site(routes=http_routes or {}, redirect_to=None if http_routes
                                  else "https://odd.com")), host="127.0.30.1"))
    port_map[80] = plain.port
    zone = ZoneSpec("odd.com", {**ns_glue("odd.com"), "odd.com": [("A", "127.0.30.1")],
                                "www.odd.com": [("A", "127.0.30.1")]})
    dns = lab_dns([zone], tmp_path, port_map=port_map, ca_file=ca.cert_path)
    return stack, dns


async def web_findings(stack, dns):
    async with stack, dns as (_, config):
        [result] = await scan_domains(["odd.com"], replace(config, checks=("web.*",)))
    return {f.check: (str(f.status), f.result) for f in result.findings}


async def test_https_that_sends_visitors_back_to_http(tmp_path):
    from cyberbasics.lab.web import Response

    page = {"/": Response.text("<html></html>", content_type="text/html")}
    found = await web_findings(*await odd_site(tmp_path, redirect_to="http://odd.com",
                                               http_routes=page))
    assert found["web.https"] == ("fail", "redirects-to-http")
    assert found["web.hsts"] == ("info", "no-https-site")


async def test_a_server_error_page_is_not_judged(tmp_path):
    from cyberbasics.lab.web import Response

    found = await web_findings(*await odd_site(tmp_path, {"/": Response(503)}))
    assert found["web.hsts"][0] == "error" and found["web.headers.nosniff"][0] == "error"


async def test_an_invalid_redirect_address_is_contained(tmp_path):
    from cyberbasics.lab.web import Response

    routes = {"/": Response(302, (("Location", "https://[::1/"),))}
    found = await web_findings(*await odd_site(tmp_path, routes))
    assert found["web.hsts"] == ("info", "no-https-site")
    assert found["web.https"] == ("fail", "broken-redirects")


async def test_closed_https_port_with_a_plain_http_site_is_http_only(tmp_path):
    from cyberbasics.lab.web import Response

    page = {"/": Response.text("<html></html>", content_type="text/html")}
    found = await web_findings(*await odd_site(tmp_path, https=False, http_routes=page))
    assert found["web.https"] == ("fail", "http-only")
    assert found["web.http_redirect"] == ("fail", "no-redirect")
    assert found["web.hsts"] == ("info", "no-https-site")
    assert found["web.security_txt"] == ("info", "no-https-site")  # not "could not check"


async def test_an_html_page_at_security_txt_is_no_security_txt(tmp_path):
    from cyberbasics.lab.web import Response

    soft404 = Response.text("<html>Not found</html>", content_type="text/html")
    routes = {"/": soft404, "/.well-known/security.txt": soft404}
    found = await web_findings(*await odd_site(tmp_path, routes))
    assert found["web.security_txt"] == ("info", "missing")


async def test_a_bad_certificate_on_the_bare_domain_is_flagged_when_www_works(tmp_path):
    import contextlib

    from cyberbasics.lab.ca import LabCA
    from cyberbasics.lab.web import LabWebServer, Response, Site
    from cyberbasics.lab.zones import ZoneSpec

    from .lab_scan import lab_dns, ns_glue

    ca = LabCA.create(tmp_path / "ca")
    page = {"/": Response.text("<html></html>", content_type="text/html")}
    sites = {"www.odd.com": Site(routes=page), "odd.com": Site(routes=page, cert_kind="expired")}
    async with contextlib.AsyncExitStack() as stack:
        server = await stack.enter_async_context(LabWebServer(sites, host="127.0.30.1", tls=ca))
        zone = ZoneSpec("odd.com", {**ns_glue("odd.com"), "odd.com": [("A", "127.0.30.1")],
                                    "www.odd.com": [("A", "127.0.30.1")]})
        async with lab_dns([zone], tmp_path, port_map={443: server.port, 80: 9},
                           ca_file=ca.cert_path, checks=("web.https",)) as (_, config):
            [result] = await scan_domains(["odd.com"], config)
    finding = result.findings[0]
    assert (str(finding.status), finding.result) == ("warn", "apex-certificate")


async def test_a_www_only_site_is_judged_on_its_www_addresses(tmp_path):
    import contextlib

    from cyberbasics.lab.ca import LabCA
    from cyberbasics.lab.web import LabWebServer, Response, Site
    from cyberbasics.lab.zones import ZoneSpec

    from .lab_scan import lab_dns, ns_glue

    ca = LabCA.create(tmp_path / "ca")
    page = {"/": Response.text("<html></html>", content_type="text/html")}
    async with contextlib.AsyncExitStack() as stack:
        secure = await stack.enter_async_context(
            LabWebServer({"www.odd.com": Site(routes=page)}, host="127.0.30.1", tls=ca))
        plain = await stack.enter_async_context(LabWebServer(
            {"www.odd.com": Site(redirect_to="https://www.odd.com")}, host="127.0.30.1"))
        zone = ZoneSpec("odd.com", {**ns_glue("odd.com"), "www.odd.com": [("A", "127.0.30.1")]})
        async with lab_dns([zone], tmp_path, port_map={443: secure.port, 80: plain.port},
                           ca_file=ca.cert_path,
                           checks=("web.https", "web.http_redirect")) as (_, config):
            [result] = await scan_domains(["odd.com"], config)
    found = {f.check: (str(f.status), f.result) for f in result.findings}
    assert found == {"web.https": ("pass", "ok"), "web.http_redirect": ("pass", "ok")}


async def test_a_home_page_on_another_platform_is_not_judged(tmp_path):
    import contextlib

    from cyberbasics.lab.ca import LabCA
    from cyberbasics.lab.web import LabWebServer, Response, Site
    from cyberbasics.lab.zones import ZoneSpec

    from .lab_scan import lab_dns, ns_glue

    ca = LabCA.create(tmp_path / "ca")
    page = {"/": Response.text("<html></html>", content_type="text/html")}
    sites = {"odd.com": Site(redirect_to="https://odd.shopbuilder.com"),
             "odd.shopbuilder.com": Site(routes=page)}
    async with contextlib.AsyncExitStack() as stack:
        server = await stack.enter_async_context(LabWebServer(sites, host="127.0.30.1", tls=ca))
        zones = [ZoneSpec("odd.com", {**ns_glue("odd.com"), "odd.com": [("A", "127.0.30.1")]}),
                 ZoneSpec("shopbuilder.com", {**ns_glue("shopbuilder.com"),
                                              "odd.shopbuilder.com": [("A", "127.0.30.1")]})]
        async with lab_dns(zones, tmp_path, port_map={443: server.port, 80: 9},
                           ca_file=ca.cert_path, checks=("web.*",)) as (_, config):
            [result] = await scan_domains(["odd.com"], config)
    found = {f.check: (str(f.status), f.result) for f in result.findings}
    assert found["web.https"] == ("pass", "ok")
    for check in ("web.hsts", "web.headers.csp", "web.cookies", "web.mixed_content"):
        assert found[check] == ("info", "hosted-elsewhere"), check
