"""Each email check's pass, fail and could-not-check cases, against lab DNS (and, for
STARTTLS and MTA-STS, the demo world's mail and web servers)."""

from dataclasses import replace

import pytest

from cyberbasics.lab.world import dkim_public_key, txt
from cyberbasics.lab.zones import ZoneSpec
from cyberbasics.scan.engine import scan_domains

from .lab_scan import findings_for, ns_glue


def zone(name, records):
    return ZoneSpec(name, {**ns_glue(name), **records})


def mail_zone(name, **extra):
    records = {name: [("MX", f"10 mx.{name}."), *extra.pop("apex", [])],
               f"mx.{name}": [("A", "127.0.10.1")]}
    records.update(extra)
    return zone(name, records)


async def status_of(specs, domain, check, tmp_path, **kwargs):
    found = await findings_for(specs, domain, tmp_path, checks=[check], **kwargs)
    return str(found[check].status), found[check].result


@pytest.mark.parametrize(("records", "expected"), [
    ([txt("v=spf1 mx -all")], ("pass", "ok")),
    ([], ("fail", "missing")),
    ([txt("v=spf1 -all"), txt("v=spf1 mx -all")], ("fail", "multiple")),
    ([txt("v=spf1 mx -al")], ("fail", "syntax-error")),
])
async def test_spf_record(records, expected, tmp_path):
    specs = [zone("shop.com", {"shop.com": records})]
    assert await status_of(specs, "shop.com", "email.spf.record", tmp_path) == expected


async def test_spf_record_dns_error(tmp_path):
    specs = [zone("shop.com", {"shop.com": [txt("v=spf1 -all")]})]
    assert await status_of(specs, "shop.com", "email.spf.record", tmp_path,
                           faults={"shop.com/txt": "servfail"}) == ("error", "could-not-check")


@pytest.mark.parametrize(("record", "expected"), [
    ("v=spf1 -all", ("pass", "hard")),
    ("v=spf1 mx ~all", ("pass", "soft")),
    ("v=spf1 +all", ("fail", "pass-all")),
    ("v=spf1 mx ?all", ("fail", "neutral-all")),
    ("v=spf1 mx", ("fail", "no-all")),
    ("v=spf1 redirect=_spf.shop.com", ("pass", "hard")),
])
async def test_spf_all(record, expected, tmp_path):
    specs = [zone("shop.com", {"shop.com": [txt(record)],
                               "_spf.shop.com": [txt("v=spf1 ip4:198.51.100.1 -all")]})]
    assert await status_of(specs, "shop.com", "email.spf.all", tmp_path) == expected


async def test_spf_lookups_over_the_limit_fail(tmp_path):
    chain = {f"i{n}.shop.com": [txt(f"v=spf1 include:i{n + 1}.shop.com ~all")]
             for n in range(12)}
    chain["i12.shop.com"] = [txt("v=spf1 ip4:198.51.100.1 ~all")]
    specs = [zone("shop.com", {"shop.com": [txt("v=spf1 include:i0.shop.com -all")], **chain})]
    status = await status_of(specs, "shop.com", "email.spf.lookups", tmp_path)
    assert status == ("fail", "too-many")


async def test_spf_lookups_within_the_limit_pass_and_errors_are_unknown(tmp_path):
    specs = [zone("shop.com", {"shop.com": [txt("v=spf1 include:_spf.shop.com -all")],
                               "_spf.shop.com": [txt("v=spf1 ip4:198.51.100.1 -all")]})]
    assert await status_of(specs, "shop.com", "email.spf.lookups", tmp_path) == ("pass", "ok")
    assert await status_of(specs, "shop.com", "email.spf.lookups", tmp_path,
                           faults={"_spf.shop.com": "servfail"}) == ("error", "could-not-check")


@pytest.mark.parametrize(("dmarc", "check", "expected"), [
    ("v=DMARC1; p=reject; rua=mailto:d@shop.com", "email.dmarc.record", ("pass", "ok")),
    (None, "email.dmarc.record", ("fail", "missing")),
    ("v=DMARC1; p=reject; rua=mailto:d@shop.com", "email.dmarc.policy", ("pass", "enforced")),
    ("v=DMARC1; p=quarantine; pct=50", "email.dmarc.policy", ("warn", "partial")),
    ("v=DMARC1; p=reject; t=y", "email.dmarc.policy", ("warn", "testing")),
    ("v=DMARC1; p=none; rua=mailto:d@shop.com", "email.dmarc.policy", ("warn", "monitor-only")),
    (None, "email.dmarc.policy", ("fail", "no-policy")),
    ("v=DMARC1; p=none; rua=mailto:d@shop.com", "email.dmarc.reporting", ("pass", "ok")),
    ("v=DMARC1; p=none", "email.dmarc.reporting", ("warn", "no-rua")),
    ("v=DMARC1; p=none; rua=mailto:d@other.com", "email.dmarc.reporting",
     ("warn", "unauthorised")),
    ("v=DMARC1; p=none; rua=mailto:d@reports.com", "email.dmarc.reporting", ("pass", "ok")),
])
async def test_dmarc(dmarc, check, expected, tmp_path):
    records = {"_dmarc.shop.com": [txt(dmarc)]} if dmarc else {}
    specs = [zone("shop.com", records), zone("other.com", {}),
             zone("reports.com", {"shop.com._report._dmarc.reports.com": [txt("v=DMARC1")]})]
    assert await status_of(specs, "shop.com", check, tmp_path) == expected


@pytest.mark.parametrize("check", ["email.dmarc.record", "email.dmarc.policy",
                                   "email.dmarc.reporting"])
async def test_dmarc_dns_error_is_could_not_check(check, tmp_path):
    specs = [zone("shop.com", {"_dmarc.shop.com": [txt("v=DMARC1; p=reject")]})]
    assert await status_of(specs, "shop.com", check, tmp_path,
                           faults={"_dmarc.shop.com": "servfail"}) == ("error", "could-not-check")


@pytest.mark.parametrize(("records", "expected"), [
    ({"selector1._domainkey.shop.com": [txt(f"v=DKIM1; k=rsa; p={dkim_public_key(2048)}")]},
     ("pass", "strong")),
    ({"google._domainkey.shop.com": [txt(f"v=DKIM1; k=rsa; p={dkim_public_key(1024)}")]},
     ("warn", "short-key")),
    ({"s1._domainkey.shop.com": [txt("v=DKIM1; k=rsa; p=")]}, ("warn", "revoked-only")),
    ({"default._domainkey.shop.com": [txt("v=DKIM1; k=rsa; p=bm90IGEga2V5")]},
     ("fail", "invalid")),
    ({}, ("info", "not-found")),
])
async def test_dkim(records, expected, tmp_path):
    specs = [zone("shop.com", records)]
    assert await status_of(specs, "shop.com", "email.dkim", tmp_path) == expected


async def test_dkim_lookup_failures_are_could_not_check(tmp_path):
    specs = [zone("shop.com", {"x._domainkey.shop.com": [txt("unrelated")]})]
    faults = {"selector1._domainkey.shop.com": "servfail"}
    assert await status_of(specs, "shop.com", "email.dkim", tmp_path, faults=faults) == \
        ("error", "could-not-check")


@pytest.mark.parametrize(("records", "expected"), [
    ({"_smtp._tls.shop.com": [txt("v=TLSRPTv1; rua=mailto:tls@shop.com")]}, ("pass", "ok")),
    ({}, ("warn", "missing")),
    ({"_smtp._tls.shop.com": [txt("v=TLSRPTv1; rua=ftp://nowhere")]}, ("fail", "invalid")),
])
async def test_tls_rpt(records, expected, tmp_path):
    specs = [mail_zone("shop.com", **records)]
    assert await status_of(specs, "shop.com", "email.tls_rpt", tmp_path) == expected


async def test_tls_rpt_dns_error(tmp_path):
    specs = [mail_zone("shop.com")]
    assert (await status_of(specs, "shop.com", "email.tls_rpt", tmp_path,
                            faults={"_smtp._tls.shop.com": "servfail"}))[0] == "error"


@pytest.mark.parametrize(("apex", "dmarc", "expected"), [
    ([("MX", "0 ."), txt("v=spf1 -all")], "v=DMARC1; p=reject", ("pass", "locked")),
    ([txt("v=spf1 -all")], "v=DMARC1; p=reject", ("pass", "locked")),
    ([("MX", "0 ."), txt("v=spf1 a -all")], "v=DMARC1; p=reject", ("info", "sends-mail")),
    ([txt("v=spf1 include:_spf.shop.com -all")], None, ("info", "sends-mail")),
    ([("MX", "0 ."), txt("v=spf1 ~all")], "v=DMARC1; p=reject", ("fail", "open")),
    ([("MX", "0 .")], "v=DMARC1; p=none", ("fail", "open")),
    ([("MX", "10 mx.shop.com.")], None, ("info", "receives-mail")),
])
async def test_no_mail_lockdown(apex, dmarc, expected, tmp_path):
    records = {"shop.com": apex, "mx.shop.com": [("A", "127.0.10.1")]}
    if dmarc:
        records["_dmarc.shop.com"] = [txt(dmarc)]
    specs = [zone("shop.com", records)]
    assert await status_of(specs, "shop.com", "email.no_mail_lockdown", tmp_path) == expected


async def test_no_mail_lockdown_dns_error(tmp_path):
    specs = [zone("shop.com", {"shop.com": [txt("v=spf1 -all")]})]
    assert (await status_of(specs, "shop.com", "email.no_mail_lockdown", tmp_path,
                            faults={"shop.com/mx": "servfail"}))[0] == "error"


@pytest.mark.parametrize(("records", "expected"), [
    ({"shop.com": [("MX", "10 mx.shop.com.")], "mx.shop.com": [("A", "127.0.10.1")]},
     ("pass", "ok")),
    ({"shop.com": [("MX", "0 .")]}, ("info", "null-mx")),
    ({"shop.com": [("MX", "10 ghost.shop.com.")]}, ("fail", "unresolved")),
])
async def test_mx(records, expected, tmp_path):
    specs = [zone("shop.com", records)]
    assert await status_of(specs, "shop.com", "email.mx", tmp_path) == expected


# STARTTLS and MTA-STS need the mail and web servers of the demo world.
@pytest.mark.parametrize(("domain", "check", "expected"), [
    ("bakery.example", "email.starttls", ("pass", "ok")),
    ("plumber.example", "email.starttls", ("fail", "not-offered")),
    ("florist.example", "email.starttls", ("warn", "bad-certificate")),
    ("parked.example", "email.starttls", ("info", "no-mail")),
    ("bakery.example", "email.mta_sts", ("pass", "enforce")),
    ("florist.example", "email.mta_sts", ("fail", "mx-not-covered")),
    ("plumber.example", "email.mta_sts", ("warn", "missing")),
])
async def test_world_mail_checks(world, domain, check, expected):
    [result] = await scan_domains([domain], world.config(checks=(check,)))
    [finding] = result.findings
    assert (str(finding.status), finding.result) == expected, finding.summary


async def test_blocked_port_25_is_could_not_check(world):
    config = world.config(checks=("email.starttls",), timeout=0.5)
    closed = {**config.port_map, 25: 9}  # nothing listens on port 9
    [result] = await scan_domains(["bakery.example"], replace(config, port_map=closed))
    assert str(result.findings[0].status) == "error"


async def test_silent_mta_sts_policy_host_is_could_not_check(world):
    from cyberbasics.lab.faults import FaultServer
    from cyberbasics.lab.world import WEB_ADDRESS

    config = world.config(checks=("email.mta_sts",), timeout=0.3)
    async with FaultServer("drop", host=WEB_ADDRESS, max_duration=5.0) as silent:
        [result] = await scan_domains(
            ["bakery.example"], replace(config, port_map={**config.port_map, 443: silent.port}))
    assert str(result.findings[0].status) == "error"


async def test_mta_sts_policy_host_refusing_https_fails(world):
    config = world.config(checks=("email.mta_sts",), timeout=0.5)
    [result] = await scan_domains(["bakery.example"],
                                  replace(config, port_map={**config.port_map, 443: 9}))
    assert (str(result.findings[0].status), result.findings[0].result) == ("fail", "bad-policy")


async def test_mail_server_stuck_on_old_tls_fails(tmp_path):
    import ssl

    from cyberbasics.lab.ca import LabCA
    from cyberbasics.lab.smtp import LabSmtpServer

    ca = LabCA.create(tmp_path / "ca")
    cert = ca.issue(["mx.old.com"])
    async with LabSmtpServer(hostname="mx.old.com", host="127.0.12.1", tls=cert,
                             min_tls_version=ssl.TLSVersion.TLSv1,
                             max_tls_version=ssl.TLSVersion.TLSv1_1) as smtp:
        specs = [zone("old.com", {"old.com": [("MX", "10 mx.old.com.")],
                                  "mx.old.com": [("A", "127.0.12.1")]})]
        found = await findings_for(specs, "old.com", tmp_path, checks=["email.starttls"],
                                   port_map={25: smtp.port}, ca_file=ca.cert_path)
    finding = found["email.starttls"]
    assert (str(finding.status), finding.result) == ("fail", "old-tls"), finding.summary
    assert "TLSv1.1" in finding.summary


async def test_mx_dns_error_is_could_not_check(tmp_path):
    specs = [zone("shop.com", {"shop.com": [("MX", "10 mx.shop.com.")]})]
    assert (await status_of(specs, "shop.com", "email.mx", tmp_path,
                            faults={"shop.com/mx": "servfail"}))[0] == "error"


async def test_spf_all_dns_error_is_could_not_check(tmp_path):
    specs = [zone("shop.com", {"shop.com": [txt("v=spf1 -all")]})]
    assert (await status_of(specs, "shop.com", "email.spf.all", tmp_path,
                            faults={"shop.com/txt": "drop"}))[0] == "error"


async def test_spf_lookups_dns_error_at_the_record_is_could_not_check(tmp_path):
    specs = [zone("shop.com", {"shop.com": [txt("v=spf1 -all")]})]
    assert (await status_of(specs, "shop.com", "email.spf.lookups", tmp_path,
                            faults={"shop.com/txt": "servfail"}))[0] == "error"


@pytest.mark.parametrize("check", ["email.starttls", "email.mta_sts", "email.tls_rpt"])
async def test_a_failed_mx_lookup_is_not_taken_for_no_mail(check, tmp_path):
    specs = [mail_zone("shop.com")]
    assert (await status_of(specs, "shop.com", check, tmp_path,
                            faults={"shop.com/mx": "servfail"}))[0] == "error"


@pytest.mark.parametrize(("fault", "expected"), [
    ("servfail", ("error", "could-not-check")), (None, ("fail", "broken-redirect"))])
async def test_spf_redirect_that_fails_or_leads_nowhere(fault, expected, tmp_path):
    records = {"shop.com": [txt("v=spf1 redirect=_spf.shop.com")]}
    if fault:
        records["_spf.shop.com"] = [txt("v=spf1 -all")]
    faults = {"_spf.shop.com": fault} if fault else {}
    specs = [zone("shop.com", records)]
    assert await status_of(specs, "shop.com", "email.spf.all", tmp_path,
                           faults=faults) == expected


@pytest.mark.parametrize(("records", "expected", "starttls"), [
    ({"shop.com": [("MX", "0 ."), ("MX", "10 .")]}, ("info", "null-mx"), ("info", "no-mail")),
    # The real MX is probed (port 25 on loopback: nothing listens, so could not check).
    ({"shop.com": [("MX", "0 ."), ("MX", "10 mx.shop.com.")],
      "mx.shop.com": [("A", "127.0.10.1")]}, ("warn", "null-mx-mixed"),
     ("error", "could-not-check")),
])
async def test_null_mx_forms(records, expected, starttls, tmp_path):
    specs = [zone("shop.com", records)]
    assert await status_of(specs, "shop.com", "email.mx", tmp_path) == expected
    assert await status_of(specs, "shop.com", "email.starttls", tmp_path) == starttls


async def test_an_mx_host_whose_address_lookup_fails_is_could_not_check(tmp_path):
    specs = [zone("shop.com", {"shop.com": [("MX", "10 mx.shop.com.")],
                               "mx.shop.com": [("A", "127.0.10.1")]})]
    assert (await status_of(specs, "shop.com", "email.mx", tmp_path,
                            faults={"mx.shop.com": "servfail"}))[0] == "error"


async def test_dmarc_invalid_reason_comes_from_the_domains_own_record(tmp_path):
    specs = [zone("shop.com", {"_dmarc.shop.com": [txt("v=DMARC1; p=reject; fo=1")],
                               "_dmarc.sub.shop.com": [txt("v=DMARC1; p=reject; p=none")],
                               "sub.shop.com": [("A", "127.0.0.9")]})]
    found = await findings_for(specs, "sub.shop.com", tmp_path, checks=["email.dmarc.record"])
    finding = found["email.dmarc.record"]
    assert (str(finding.status), finding.result) == ("fail", "invalid")
    assert "appears more than once" in finding.summary  # not the parent record's note


async def test_missing_mta_sts_host_is_a_definite_failure(tmp_path):
    specs = [mail_zone("shop.com", **{"_mta-sts.shop.com": [txt("v=STSv1; id=1")]})]
    status = await status_of(specs, "shop.com", "email.mta_sts", tmp_path)
    assert status == ("fail", "bad-policy")
