"""The guard covers every active connection: private and IPv4-mapped IPv6 answers are never
connected to, and a name whose answer changes between lookups (DNS rebinding) is connected
to at the address that was checked, never at a later answer."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import dns.flags
import dns.message
import dns.rdatatype
import dns.rrset
import pytest

from cyberbasics.lab import services as lab
from cyberbasics.lab.dns_server import LabDnsServer
from cyberbasics.lab.zones import LabZoneSet, ZoneSpec
from cyberbasics.scan.engine import scan_domains
from tests.scan.lab_scan import ROOT, TLDS, lab_dns

from .helpers import ACTIVE_CHECKS, active_lab, findings, new_address, records_for, status

SERVICE_CHECKS = ("services.remote_access", "services.file_sharing", "services.databases",
                  "services.admin_panels", "services.mail_cleartext", "services.ssh")


@pytest.fixture
def connections(monkeypatch):
    """Every TCP connection a scan opens (host, port), whatever the guard says."""
    opened = []
    real = asyncio.open_connection

    async def recording(host=None, port=None, **kwargs):
        opened.append((host, port))
        return await real(host, port, **kwargs)

    monkeypatch.setattr(asyncio, "open_connection", recording)
    return opened


async def test_private_and_mapped_answers_are_never_connected_to(tmp_path, connections):
    records = {**records_for("shop.com", apex=["10.0.0.1"], mail=["192.168.1.25"]),
               "www.shop.com": [("AAAA", "::ffff:10.0.0.1"), ("AAAA", "fd00::1")]}
    async with lab_dns([ZoneSpec("shop.com", records)], tmp_path, active=True,
                       checks=ACTIVE_CHECKS) as (_, config):
        outside = replace(config, lab=False, port_map={})  # the resolver stays on loopback
        [result] = await scan_domains(["shop.com"], outside)
    found = {f.check: f for f in result.findings}
    assert connections == []
    for check in SERVICE_CHECKS:
        assert (str(found[check].status), found[check].result) == ("error", "could-not-check")
    errors = {a["address"]: a["error"] for a in found["services.ssh"].evidence["addresses"]}
    assert "private address" in errors["10.0.0.1"]  # ::ffff:10.0.0.1 is the same address
    assert "private address" in errors["192.168.1.25"]
    assert "reserved range fc00::/7" in errors["fd00::1"]
    assert str(found["web.sensitive_files"].status) == "error"


async def test_in_the_lab_only_loopback_is_probed_mapped_forms_included(tmp_path, connections):
    web = new_address()
    records = {**records_for("shop.com", apex=["10.0.0.1"]),
               "www.shop.com": [("AAAA", f"::ffff:{web}")]}
    async with active_lab(tmp_path, "shop.com", records, {web: {22: lab.ssh()}},
                          checks=("services.ssh",)) as (_, config):
        found = await findings(config, "shop.com")
    ssh = found["services.ssh"]
    assert (str(ssh.status), ssh.result) == ("info", "named")
    errors = {a["address"]: a.get("error") for a in ssh.evidence["addresses"]}
    assert "not a loopback address" in errors["10.0.0.1"] and errors[web] is None
    assert {host for host, _ in connections} <= {web, "127.0.0.1"}


class RebindingDns(LabDnsServer):
    """Answers A queries for some names with the zone's address the first time, and with
    ``later`` every time after."""

    def __init__(self, zones, *, names, later, **kwargs):
        super().__init__(zones, **kwargs)
        self.names = {n.lower() for n in names}
        self.later = later
        self.asked: dict[str, int] = {}

    def reply_wire(self, wire, *, tcp):
        try:
            query = dns.message.from_wire(wire)
            question = query.question[0]
        except Exception:
            return super().reply_wire(wire, tcp=tcp)
        name = question.name.to_text().rstrip(".").lower()
        if name in self.names and question.rdtype == dns.rdatatype.A:
            self.asked[name] = self.asked.get(name, 0) + 1
            if self.asked[name] > 1:
                reply = dns.message.make_response(query)
                reply.flags |= dns.flags.AA
                reply.answer.append(dns.rrset.from_text(question.name, 0, "IN", "A",
                                                        self.later))
                return reply.to_wire(), 0.0
        return super().reply_wire(wire, tcp=tcp)


@pytest.mark.parametrize("later", ["loopback-elsewhere", "10.0.0.1"])
async def test_a_rebinding_name_is_connected_to_at_the_checked_address(tmp_path, later,
                                                                        connections):
    first, elsewhere = new_address(), new_address()
    later = elsewhere if later == "loopback-elsewhere" else later
    seen_elsewhere: list = []
    layout = {
        first: {22: lab.ssh(), 3389: lab.rdp(),
                80: lab.website(lab.exposed_files_routes("shop.com"), name="shop.com")},
        # Would answer if any connection followed the later answer.
        elsewhere: {port: (lambda h, p: lab.RecordingServer(seen_elsewhere, host=h, port=p))
                    for port in (22, 3389, 80)},
    }
    records = records_for("shop.com", apex=[first], www=[first])
    zones = LabZoneSet([ROOT, *TLDS, ZoneSpec("shop.com", records)])
    anchor = tmp_path / "anchor.txt"
    anchor.write_text(zones.trust_anchor_text())
    async with lab.ServiceLab(layout, ports=[22, 3389, 80, 443]) as services, \
            RebindingDns(zones, names=["shop.com", "www.shop.com"], later=later) as server:
        from cyberbasics.config import ScanConfig

        config = ScanConfig(nameservers=(server.address,), trust_anchor_file=anchor, lab=True,
                            port_map={53: server.port, **services.port_map}, timeout=0.4,
                            active=True, rate_limit=1000.0,
                            checks=("services.ssh", "services.remote_access",
                                    "web.sensitive_files"))
        [result] = await scan_domains(["shop.com"], config)
        # A later lookup really would have moved: the name is rebinding.
        from cyberbasics.net.dns import DnsClient

        fresh = DnsClient([server.address], timeout=0.5)
        try:
            assert (await fresh.addresses("shop.com"))[0] == (later,)
        finally:
            await fresh.aclose()
    found = {f.check: f for f in result.findings}
    assert status(found) == {"services.ssh": ("info", "named"),
                             "services.remote_access": ("fail", "exposed"),
                             "web.sensitive_files": ("fail", "readable")}
    assert seen_elsewhere == []
    assert {host for host, _ in connections} <= {first, "127.0.0.1"}
    assert server.asked["shop.com"] == 2  # the scan's one lookup, then ours
