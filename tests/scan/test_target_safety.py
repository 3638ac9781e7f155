"""Outside lab mode, DNS answers that point at private or reserved addresses must never be
connected to: the checks that need those connections say why they could not check."""

from dataclasses import replace

from cyberbasics.lab.world import txt
from cyberbasics.lab.zones import ZoneSpec
from cyberbasics.scan.engine import scan_domains

from .lab_scan import lab_dns


async def test_private_answers_are_refused_outside_the_lab(tmp_path):
    records = {
        "shop.com": [("MX", "10 mx.shop.com."), ("MX", "20 mx6.shop.com.")],
        "mx.shop.com": [("A", "10.0.0.25")],
        "mx6.shop.com": [("AAAA", "::ffff:192.168.1.25")],
        "_mta-sts.shop.com": [txt("v=STSv1; id=1")],
        "mta-sts.shop.com": [("A", "169.254.169.254")],
        "ns1.shop.com": [("A", "127.0.0.1")], "ns2.shop.com": [("A", "127.0.0.1")],
    }
    async with lab_dns([ZoneSpec("shop.com", records)], tmp_path) as (_, config):
        # The resolver stays on loopback (a configured resolver is not a scan target).
        outside = replace(config, lab=False, port_map={})
        [result] = await scan_domains(["shop.com"], outside)
    found = {f.check: f for f in result.findings}
    starttls = found["email.starttls"]
    assert str(starttls.status) == "error"
    reasons = " ".join(s.get("error", "") for s in starttls.evidence["servers"])
    assert "private address" in reasons
    mta_sts = found["email.mta_sts"]
    assert str(mta_sts.status) == "error" and "link-local" in mta_sts.summary
    nameservers = found["domain.nameservers"]
    assert str(nameservers.status) == "error" and "loopback" in nameservers.summary
