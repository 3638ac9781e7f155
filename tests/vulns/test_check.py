"""The vulns.known_exploited check on hand-built evidence, and once against a lab website."""

import contextlib
from dataclasses import replace

import pytest

# Importing the modules registers the check and its collector (the shared package
# imports are someone else's to add).
import cyberbasics.scan.checks.vulns
import cyberbasics.scan.evidence.software  # noqa: F401
from cyberbasics.scan import engine
from cyberbasics.scan.evidence.software import SoftwareView, from_smtp, from_web
from cyberbasics.scan.gather import EvidenceView, Unavailable
from cyberbasics.scan.registry import all_checks
from cyberbasics.scan.software import SoftwareSeen
from cyberbasics.vulns import dataset as ds

CHECK = next(c for c in all_checks() if c.id == "vulns.known_exploited")
WHERE = "https://example.com/ (Server header)"


def run(*seen, read=("web",), problems=()):
    view = SoftwareView(tuple(seen), tuple(read), tuple(problems))
    outcome = CHECK.run(EvidenceView("example.com", {"software": view}))
    finding = engine.render(CHECK, outcome)
    return outcome, finding


def apache(version, raw=None):
    return SoftwareSeen("apache-httpd", version, WHERE, raw or f"Apache/{version} (Unix)")


def test_an_affected_version_fails_and_names_cve_version_fix_and_impact():
    outcome, finding = run(apache("2.4.49"), SoftwareSeen("php", "7.4.3", WHERE, "PHP/7.4.3"))
    assert (outcome.status, outcome.result) == ("fail", "affected")
    assert {a["cve"] for a in outcome.evidence["affected"]} == {"CVE-2021-41773",
                                                                "CVE-2021-42013"}
    first = outcome.evidence["affected"][0]
    assert first["version"] == "2.4.49" and first["where"] == WHERE
    assert first["sources"] and first["fixed_version"] and first["impact"]
    assert "CVE-2021-41773" in finding.summary and "Apache HTTP Server 2.4.49" in finding.summary
    assert "later than 2.4.50" in finding.summary
    assert "{" not in finding.summary
    assert outcome.evidence["dataset"]["date"] == ds.load_shipped().date


def test_a_distribution_build_is_only_possibly_affected():
    outcome, finding = run(apache("2.4.48", "Apache/2.4.48 (Ubuntu)"))
    assert (outcome.status, outcome.result) == ("warn", "possibly-affected")
    assert "a build from Ubuntu" in finding.summary and "CVE-2021-40438" in finding.summary


def test_a_fix_that_does_not_show_in_the_version_is_only_possibly_affected():
    outcome, _ = run(SoftwareSeen("microsoft-iis", "6.0", WHERE, "Microsoft-IIS/6.0"))
    assert (outcome.status, outcome.result) == ("warn", "possibly-affected")


def test_versions_seen_and_none_affected_passes():
    outcome, finding = run(apache("2.4.62"), SoftwareSeen("nginx", "1.25.3", WHERE, "x"),
                           SoftwareSeen("wordpress", "6.4.2", WHERE, "WordPress 6.4.2"))
    assert (outcome.status, outcome.result) == ("pass", "none-affected")
    assert "Apache HTTP Server 2.4.62" in finding.summary and "not checked" in finding.summary


def test_an_imprecise_version_is_undetermined_never_affected():
    outcome, finding = run(apache("2.4", "Apache/2.4"))
    assert (outcome.status, outcome.result) == ("info", "undetermined")
    assert outcome.evidence["affected"] == [] and "neither a pass nor a fail" in finding.summary


@pytest.mark.parametrize("seen", [(), (SoftwareSeen("nginx", None, WHERE, "nginx"),)])
def test_no_version_at_all_is_info_never_pass(seen):
    outcome, finding = run(*seen)
    assert (outcome.status, outcome.result) == ("info", "no-versions")
    assert "could not compare" in finding.summary


def test_unreadable_evidence_is_could_not_check():
    outcome = CHECK.run(EvidenceView("example.com", {"software": Unavailable("timeout")}))
    assert (outcome.status, outcome.result) == ("error", "could-not-check")
    outcome, _ = run(read=(), problems=("web: timeout", "starttls: refused"))
    assert (outcome.status, outcome.result) == ("error", "could-not-check")


def test_a_partial_read_says_what_was_not_read():
    outcome, finding = run(apache("2.4.62"), read=("starttls",), problems=("web: timeout",))
    assert outcome.status == "pass" and "We could not read: web: timeout" in finding.summary


def test_an_updated_dataset_is_used(data_dir):
    imported = ds.parse_dataset({"format": ds.FORMAT, "date": "2027-01-01", "entries": [{
        "cve": "CVE-2099-0001", "product": "nginx", "title": "Test flaw",
        "affected": [{"introduced": "1.0", "fixed": "1.26"}], "fixed_version": "1.26",
        "impact": "An attacker can test.", "sources": ["https://example.org/a"]}]})
    ds.save_updated(imported)
    outcome, _ = run(SoftwareSeen("nginx", "1.25.3", WHERE, "nginx/1.25.3"))
    assert (outcome.status, outcome.result) == ("fail", "affected")
    assert outcome.evidence["dataset"]["origin"] == "shipped + update of 2027-01-01"


# --- the collector's readers ---------------------------------------------------------------

def test_smtp_greetings_are_read():
    class Probe:
        host = "mail.example.com"
        banner = "mail.example.com ESMTP Exim 4.91 #1"

    [seen] = from_smtp([Probe()])
    assert (seen.product, seen.version) == ("exim", "4.91")
    assert seen.where == "mail server mail.example.com (SMTP greeting)"


def test_web_evidence_without_pages_gives_nothing():
    class View:
        https = None
        http = None
        html = None
        http_html = None

    assert from_web(View()) == []


# --- a lab website ----------------------------------------------------------------------------

async def lab_findings(tmp_path, headers, body="<html></html>", *, checks=("vulns.*",)):
    from cyberbasics.lab.ca import LabCA
    from cyberbasics.lab.web import LabWebServer, Response, Site
    from cyberbasics.lab.zones import ZoneSpec
    from cyberbasics.scan.engine import scan_domains

    from ..scan.lab_scan import lab_dns, ns_glue

    ca = LabCA.create(tmp_path / "ca")
    names = ("odd.com", "www.odd.com")
    page = Response.text(body, content_type="text/html", headers=headers)
    async with contextlib.AsyncExitStack() as stack:
        https = await stack.enter_async_context(LabWebServer(
            dict.fromkeys(names, Site(routes={"/": page})), host="127.0.30.7", tls=ca))
        plain = await stack.enter_async_context(LabWebServer(
            dict.fromkeys(names, Site(redirect_to="https://odd.com")), host="127.0.30.7"))
        zone = ZoneSpec("odd.com", {**ns_glue("odd.com"), "odd.com": [("A", "127.0.30.7")],
                                    "www.odd.com": [("A", "127.0.30.7")]})
        async with lab_dns([zone], tmp_path, port_map={443: https.port, 80: plain.port},
                           ca_file=ca.cert_path) as (_, config):
            [result] = await scan_domains(["odd.com"], replace(config, checks=checks))
    assert result.error is None, result.error
    return {f.check: f for f in result.findings}


async def test_lab_site_with_a_known_exploited_apache_fails(tmp_path):
    generator = '<html><head><meta name="generator" content="WordPress 6.1.1"></head></html>'
    found = await lab_findings(tmp_path, (("Server", "Apache/2.4.49 (Unix)"),
                                          ("X-Powered-By", "PHP/7.4.3")), generator)
    finding = found["vulns.known_exploited"]
    assert (str(finding.status), finding.result) == ("fail", "affected")
    software = {(s["product"], s["version"]) for s in finding.evidence["software"]["seen"]}
    assert {("apache-httpd", "2.4.49"), ("php", "7.4.3"), ("wordpress", "6.1.1")} <= software
    assert "CVE-2021-42013" in finding.summary and "https://odd.com/" in finding.summary


async def test_lab_site_with_current_software_passes(tmp_path):
    found = await lab_findings(tmp_path, (("Server", "nginx/1.25.3"),))
    finding = found["vulns.known_exploited"]
    assert (str(finding.status), finding.result) == ("pass", "none-affected")


# --- the collector ----------------------------------------------------------------------------

class FakeContext:
    """Just what the software collector uses: the scan's active flag and ctx.get."""

    def __init__(self, values, *, active):
        from types import SimpleNamespace

        self.session = SimpleNamespace(config=SimpleNamespace(active=active))
        self.values = values
        self.asked = []

    def get(self, name):
        import asyncio

        self.asked.append(name)
        future = asyncio.get_running_loop().create_future()
        value = self.values[name]
        if isinstance(value, Exception):
            future.set_exception(value)
        else:
            future.set_result(value)
        return future


class FakeServices:
    software = (SoftwareSeen("openssh", "8.9p1", "192.0.2.1 port 22 (SSH)",
                             "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"),
                "not software")


class NoWeb:
    https = http = html = http_html = None


async def test_the_collector_reads_services_only_in_an_active_scan(monkeypatch):
    from cyberbasics.scan.evidence import software as collector_module

    monkeypatch.setattr(collector_module, "collectors", lambda: {"services": None})
    values = {"web": NoWeb(), "starttls": (), "services": FakeServices()}
    passive = FakeContext(values, active=False)
    view = await collector_module.software(passive)
    assert "services" not in passive.asked and view.seen == ()
    active = FakeContext(values, active=True)
    view = await collector_module.software(active)
    assert [s.product for s in view.seen] == ["openssh"]
    assert view.read == ("web", "starttls", "services")


async def test_the_collector_tolerates_missing_and_failing_evidence(monkeypatch):
    from cyberbasics.scan.evidence import software as collector_module

    monkeypatch.setattr(collector_module, "collectors", lambda: {})  # no services collector
    context = FakeContext({"web": Unavailable("timeout"), "starttls": OSError("refused")},
                         active=True)
    view = await collector_module.software(context)
    assert view.seen == () and view.read == ()
    assert view.problems == ("web: timeout", "starttls: OSError: refused")
    outcome = CHECK.run(EvidenceView("example.com", {"software": view}))
    assert (outcome.status, outcome.result) == ("error", "could-not-check")


# --- the demo world ---------------------------------------------------------------------------

async def test_demo_world(world):
    from cyberbasics.scan.engine import scan_domains

    results = await scan_domains(["plumber.example", "bakery.example"],
                                 world.config(checks=("vulns.*",)))
    found = {r.domain: r.findings[0] for r in results}
    plumber = found["plumber.example"]  # Apache/2.4.29 (Ubuntu): Ubuntu may have patched it
    assert (str(plumber.status), plumber.result) == ("warn", "possibly-affected")
    assert "CVE-2021-40438" in plumber.summary and "Ubuntu" in plumber.summary
    bakery = found["bakery.example"]  # the lab server names itself without a version
    assert (str(bakery.status), bakery.result) == ("info", "no-versions")
