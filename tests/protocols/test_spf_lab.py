"""The same SPF scenarios through the real stack: DnsClient asking the lab DNS server
over loopback. Skipped when the lab server is not available."""

from __future__ import annotations

import pytest

from cyberbasics.net.dns import DnsClient
from cyberbasics.protocols.spf import analyse_policy, check_host
from tests.protocols.spf_scenarios import CHECKS, FAULTS, HELO, ZONE

lab = pytest.importorskip("cyberbasics.lab.dns_server")
if not hasattr(lab.LabDnsServer, "from_records"):  # pragma: no cover
    pytest.skip("the lab DNS server has no from_records()", allow_module_level=True)

# The lab server's word for a server that never answers is "drop".
LAB_FAULTS = {name: ("drop" if kind == "timeout" else kind) for name, kind in FAULTS.items()}


@pytest.fixture
async def lab_address():
    async with lab.LabDnsServer.from_records(ZONE, faults=LAB_FAULTS) as server:
        yield server.address


async def test_scenarios_through_the_real_client(lab_address):
    differences = []
    for case in CHECKS:
        client = DnsClient([lab_address], timeout=0.3, attempts=1)
        got = await check_host(case["ip"], case.get("domain", ""), case["sender"],
                               helo=case.get("helo", HELO), dns=client)
        if got.result != case["result"] or got.exp_text != case.get("exp_text", got.exp_text):
            differences.append((case["id"], case["result"], got.result, got.explanation))
    assert differences == []


async def test_audit_through_the_real_client(lab_address):
    report = await analyse_policy("sf.example.org", dns=DnsClient([lab_address], timeout=0.3))
    assert (report.status, report.lookups, report.lookup_status) == ("ok", 8, "ok")
