"""The certificate and TLS checks against lab servers with each weakness; the quick probes
checked against SSLyze's full enumeration of the same servers."""

import contextlib
import ssl
from dataclasses import replace

import pytest

from cyberbasics.lab.ca import LabCA
from cyberbasics.lab.faults import FaultServer
from cyberbasics.lab.tls_servers import (
    CannedHelloServer,
    OpenSslServer,
    TlsliteServer,
    openssl_context,
)
from cyberbasics.lab.zones import ZoneSpec
from cyberbasics.protocols.tls_suites import classes_of
from cyberbasics.scan.checks.tls import _NAME_TO_CODE
from cyberbasics.scan.engine import scan_domains

from .lab_scan import lab_dns, ns_glue

DOMAIN = "shop.com"
CHECKS = ("web.tls.*", "web.certificate.*")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return LabCA.create(tmp_path_factory.mktemp("ca"))


def zone(address="127.0.0.1", www=None):
    records = {**ns_glue(DOMAIN)}
    if address:
        records[DOMAIN] = [("A", address)]
    if www:
        records[f"www.{DOMAIN}"] = [("A", www)]
    return ZoneSpec(DOMAIN, records)


async def scan(tmp_path, ca, port, *, deep=False, spec=None, **config):
    settings = {"timeout": 2.0, **config}
    async with lab_dns([spec or zone()], tmp_path, port_map={443: port}, ca_file=ca.cert_path,
                       checks=CHECKS, **settings) as (_, cfg):
        [result] = await scan_domains([DOMAIN], replace(cfg, deep=deep))
    assert result.error is None
    return {f.check: f for f in result.findings}


def outcomes(findings):
    return {check: (str(f.status), f.result) for check, f in findings.items()}


@contextlib.asynccontextmanager
async def openssl(ca, *, kind="good", key="ec256", **options):
    cert = ca.issue([DOMAIN, f"www.{DOMAIN}"], kind=kind, key=key)
    async with OpenSslServer(openssl_context(cert, **options)) as server:
        yield server


async def test_a_modern_server_passes_everything(tmp_path, ca):
    async with openssl(ca) as server:
        found = outcomes(await scan(tmp_path, ca, server.port))
    assert found == {check: ("pass", "ok") for check in found}
    assert len(found) == 6


async def test_old_protocols_and_static_rsa_are_found(tmp_path, ca):
    async with openssl(ca, key="rsa2048", minimum=ssl.TLSVersion.TLSv1) as server:
        findings = await scan(tmp_path, ca, server.port)
    found = outcomes(findings)
    assert found["web.tls.versions"] == ("warn", "old-tls")
    assert "TLSv1, TLSv1.1" in findings["web.tls.versions"].summary
    assert found["web.tls.tls13"] == ("pass", "ok")
    assert found["web.tls.ciphers"] == ("warn", "no-forward-secrecy")
    assert "TLS_RSA_WITH_" in findings["web.tls.ciphers"].summary


async def test_a_tls12_only_server_lacks_tls13(tmp_path, ca):
    async with openssl(ca, maximum=ssl.TLSVersion.TLSv1_2) as server:
        found = outcomes(await scan(tmp_path, ca, server.port))
    assert found["web.tls.tls13"] == ("warn", "missing")
    assert found["web.tls.versions"] == ("pass", "ok")
    assert found["web.tls.ciphers"] == ("pass", "ok")


async def test_anonymous_and_null_suites_fail(tmp_path, ca):
    async with openssl(ca, ciphers="aNULL:eNULL:ECDHE:@SECLEVEL=0",
                       maximum=ssl.TLSVersion.TLSv1_2) as server:
        findings = await scan(tmp_path, ca, server.port)
    assert outcomes(findings)["web.tls.ciphers"] == ("fail", "weak")
    summary = findings["web.tls.ciphers"].summary
    assert "anonymous" in summary and "NULL" in summary


async def test_ssl3_rc4_and_3des_served_by_tlslite_fail(tmp_path, ca):
    cert = ca.issue([DOMAIN], key="rsa2048")
    with TlsliteServer(cert, versions=((3, 0), (3, 3)), ciphers=("rc4", "3des", "aes128")) as srv:
        findings = await scan(tmp_path, ca, srv.port)
    found = outcomes(findings)
    assert found["web.tls.versions"] == ("fail", "ssl")
    assert "SSLv3" in findings["web.tls.versions"].summary
    assert found["web.tls.ciphers"] == ("fail", "weak")
    assert "RC4" in findings["web.tls.ciphers"].summary
    assert "3DES" in findings["web.tls.ciphers"].summary
    assert found["web.tls.tls13"] == ("warn", "missing")


async def test_an_export_suite_is_detected_from_the_server_hello(tmp_path, ca):
    # No maintained library serves export suites: this server answers with the ServerHello
    # an export server sends (and nothing more), so the full handshake cannot complete.
    from cyberbasics.config import ScanConfig
    from cyberbasics.net.tls_probe import hello_probe
    from cyberbasics.protocols import tls_hello
    from cyberbasics.protocols.tls_suites import suites_of_class

    async with CannedHelloServer(0x0008) as server:  # RSA_EXPORT_WITH_DES40_CBC_SHA
        config = ScanConfig(nameservers=(("127.0.0.1", 53),), lab=True,
                            port_map={443: server.port}, timeout=2)
        export = await hello_probe(config, "127.0.0.1", 443, DOMAIN, tls_hello.TLS12,
                                   suites_of_class("export"))
        modern = await hello_probe(config, "127.0.0.1", 443, DOMAIN, tls_hello.TLS12,
                                   suites_of_class("no_forward_secrecy")[:5])
    assert export.accepted and export.answer.cipher == 0x0008
    assert export.answer.version == tls_hello.TLS10
    assert modern.accepted is False and modern.answer.kind == "alert"


@pytest.mark.parametrize(("kind", "key", "expected"), [
    ("expired", "ec256", {"web.certificate.valid": ("fail", "expired"),
                          "web.certificate.expiry": ("fail", "expired")}),
    ("expiring_soon", "ec256", {"web.certificate.valid": ("pass", "ok"),
                                "web.certificate.expiry": ("fail", "days")}),
    ("wrong_name", "ec256", {"web.certificate.valid": ("fail", "wrong-name")}),
    ("self_signed", "ec256", {"web.certificate.valid": ("fail", "self-signed")}),
    ("not_yet_valid", "ec256", {"web.certificate.valid": ("fail", "not-yet-valid")}),
    ("good", "rsa1024", {"web.certificate.valid": ("pass", "ok"),
                         "web.certificate.key": ("fail", "weak-key")}),
    ("good", "rsa2048", {"web.certificate.key": ("pass", "ok")}),
])
async def test_certificate_faults(tmp_path, ca, kind, key, expected):
    async with openssl(ca, kind=kind, key=key) as server:
        found = outcomes(await scan(tmp_path, ca, server.port))
    for check, outcome in expected.items():
        assert found[check] == outcome, check
    # A bad certificate never hides the TLS configuration.
    assert found["web.tls.versions"] == ("pass", "ok")


async def test_an_unknown_ca_is_untrusted(tmp_path, ca):
    other = LabCA.create(tmp_path / "other-ca")
    cert = other.issue([DOMAIN])
    async with OpenSslServer(openssl_context(cert)) as server:
        findings = await scan(tmp_path, ca, server.port)
    assert outcomes(findings)["web.certificate.valid"] == ("fail", "untrusted")


async def test_expiry_warns_within_thirty_days(tmp_path, ca):
    async with openssl(ca) as server:  # valid for 90 days from now
        later = ca.now.timestamp() + 70 * 86400
        found = outcomes(await scan(tmp_path, ca, server.port, clock=lambda: later))
    assert found["web.certificate.expiry"] == ("warn", "soon")


@pytest.mark.parametrize("behaviour", ["garbage", "drop"])
async def test_servers_that_do_not_speak_tls_are_could_not_check(tmp_path, ca, behaviour):
    async with FaultServer(behaviour, max_duration=5.0) as server:
        found = outcomes(await scan(tmp_path, ca, server.port, timeout=0.5))
    assert set(found.values()) == {("error", "could-not-check")}


async def test_no_listener_on_443_is_no_https_site(tmp_path, ca):
    found = outcomes(await scan(tmp_path, ca, 9))  # nothing listens on port 9
    assert set(found.values()) == {("info", "no-https-site")}


async def test_no_address_at_all_is_no_website(tmp_path, ca):
    found = outcomes(await scan(tmp_path, ca, 9, spec=zone(address=None)))
    assert set(found.values()) == {("info", "no-website")}


async def test_www_is_examined_when_the_domain_has_no_address(tmp_path, ca):
    async with openssl(ca) as server:
        findings = await scan(tmp_path, ca, server.port, spec=zone(address=None,
                                                                   www="127.0.0.1"))
    assert findings["web.certificate.valid"].evidence["host"] == f"www.{DOMAIN}"
    assert str(findings["web.certificate.valid"].status) == "pass"


async def test_a_private_address_is_never_probed(tmp_path, ca):
    found = outcomes(await scan(tmp_path, ca, 9, spec=zone(address="10.0.0.1")))
    assert set(found.values()) == {("error", "could-not-check")}


# --- the quick probes against SSLyze ----------------------------------------------------------

def _weak_classes_from_deep(evidence):
    found = set()
    for version, suites in evidence["deep"]["accepted"].items():
        if version != "TLSv1.3":
            for suite in suites:
                found |= classes_of(_NAME_TO_CODE[suite])
    return found


def _old_versions_from_deep(evidence):
    return {v for v in ("SSLv3", "TLSv1", "TLSv1.1") if evidence["deep"]["accepted"].get(v)}


@contextlib.asynccontextmanager
async def weak_server(ca, name):
    if name == "tlslite":
        cert = ca.issue([DOMAIN], key="rsa2048")
        with TlsliteServer(cert, ciphers=("rc4", "3des", "aes128")) as server:
            yield server
        return
    options = {"old-tls": {"key": "rsa2048", "minimum": ssl.TLSVersion.TLSv1},
               "anonymous": {"ciphers": "aNULL:eNULL:ECDHE:@SECLEVEL=0",
                             "maximum": ssl.TLSVersion.TLSv1_2},
               "modern": {}}[name]
    async with openssl(ca, **options) as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize("name", ["modern", "old-tls", "anonymous", "tlslite"])
async def test_quick_probes_agree_with_sslyze(tmp_path, ca, name):
    async with weak_server(ca, name) as server:
        quick = await scan(tmp_path, ca, server.port)
        deep = await scan(tmp_path, ca, server.port, deep=True, timeout=5.0)
    for check in ("web.tls.versions", "web.tls.ciphers", "web.certificate.valid"):
        assert outcomes(quick)[check] == outcomes(deep)[check], check
    quick_evidence = quick["web.tls.ciphers"].evidence
    deep_evidence = deep["web.tls.ciphers"].evidence
    assert not deep_evidence["deep"]["errors"]
    quick_classes = {c for c, probe in quick_evidence["weak_classes"].items()
                     if probe["accepted"]}
    assert quick_classes == _weak_classes_from_deep(deep_evidence)
    quick_versions = {v for v, probe in quick_evidence["versions"].items() if probe["accepted"]}
    assert quick_versions == _old_versions_from_deep(deep_evidence)


async def test_a_suite_that_was_not_offered_is_not_an_acceptance(tmp_path, ca):
    from cyberbasics.config import ScanConfig
    from cyberbasics.net.tls_probe import hello_probe
    from cyberbasics.protocols import tls_hello

    async with CannedHelloServer(0x0005) as server:  # "chooses" RC4 whatever is offered...
        server.suite_is_offered = lambda offered: True
        config = ScanConfig(nameservers=(("127.0.0.1", 53),), lab=True,
                            port_map={443: server.port}, timeout=2)
        probe = await hello_probe(config, "127.0.0.1", 443, DOMAIN, tls_hello.TLS12, (0x0008,))
    assert probe.accepted is None and "not offered" in probe.answer.detail


async def test_a_failed_deep_scan_falls_back_to_the_quick_probes(tmp_path, ca, monkeypatch):
    from cyberbasics.scan.evidence import tls_deep

    def broken(*args):
        raise RuntimeError("SSLyze crashed")

    monkeypatch.setattr(tls_deep, "_scan", broken)
    async with openssl(ca, key="rsa2048", minimum=ssl.TLSVersion.TLSv1) as server:
        findings = await scan(tmp_path, ca, server.port, deep=True)
    found = outcomes(findings)
    assert found["web.tls.ciphers"] == ("warn", "no-forward-secrecy")
    assert found["web.tls.versions"] == ("warn", "old-tls")
    assert "SSLyze crashed" in findings["web.tls.ciphers"].evidence["deep"]["errors"]["all"]


async def test_an_active_scan_spaces_the_tls_probes_too(tmp_path, ca):
    import asyncio
    import time

    accepted = []

    async def pipe(source, sink):
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            sink.close()

    async with openssl(ca) as target:
        async def forward(reader, writer):  # records when each connection arrives
            accepted.append(time.monotonic())
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", target.port)
            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

        server = await asyncio.start_server(forward, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with lab_dns([zone()], tmp_path, port_map={443: port},
                               ca_file=ca.cert_path, checks=("web.tls.*",),
                               timeout=2.0) as (_, cfg):
                [result] = await scan_domains([DOMAIN], replace(cfg, active=True,
                                                                rate_limit=8.0))
        finally:
            server.close()
    assert {str(f.status) for f in result.findings} == {"pass"}
    assert len(accepted) >= 10  # the full handshake and the nine hellos
    for first in accepted:
        assert sum(first <= t < first + 1.0 for t in accepted) <= 8 + 1
