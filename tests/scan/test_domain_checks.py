import pytest

from cyberbasics.lab.zones import ZoneSpec
from cyberbasics.scan.engine import scan_domains

from .lab_scan import findings_for, lab_dns, ns_glue


def zone(name, records=None, **kwargs):
    return ZoneSpec(name, {**ns_glue(name), **(records or {})}, **kwargs)


async def test_healthy_domain_passes(tmp_path):
    specs = [zone("good.com", {"good.com": [("CAA", '0 issue "letsencrypt.org"')]}, signed=True)]
    found = await findings_for(specs, "good.com", tmp_path, checks=["domain.*"])
    assert {k: str(f.status) for k, f in found.items()} == {
        "domain.resolves": "pass", "domain.nameservers": "pass",
        "domain.dnssec": "pass", "domain.caa": "pass"}
    assert "letsencrypt.org" in found["domain.caa"].summary
    assert found["domain.dnssec"].evidence["chain"] == [".", "com", "good.com"]


async def test_nxdomain_ends_the_scan_with_a_clear_message(tmp_path):
    async with lab_dns([], tmp_path) as (_, config):
        [result] = await scan_domains(["missing.com"], config)
    assert result.error.code == "nxdomain" and "does not exist" in result.error.message
    assert result.findings == ()


async def test_resolver_failure_is_error_not_fail(tmp_path):
    specs = [zone("flaky.com")]
    found = await findings_for(specs, "flaky.com", tmp_path, checks=["domain.resolves"],
                               faults={"flaky.com": "servfail"})
    assert str(found["domain.resolves"].status) == "error"
    assert "could not check" in found["domain.resolves"].summary


async def test_timeouts_are_error_never_pass_or_fail(tmp_path):
    specs = [zone("slow.com", signed=True)]
    found = await findings_for(specs, "slow.com", tmp_path, checks=["domain.*"],
                               faults={"slow.com": "drop"})
    assert {str(f.status) for f in found.values()} == {"error"}


async def test_single_and_lame_nameservers(tmp_path):
    single = zone("one.com", nameservers=("ns1.one.com",))
    lame = ZoneSpec("lame.com", {"ns1.lame.com": [("A", "127.0.0.1")]})  # ns2 has no address
    found = await findings_for([single], "one.com", tmp_path, checks=["domain.nameservers"])
    assert (str(found["domain.nameservers"].status), found["domain.nameservers"].result) == \
        ("warn", "single")
    found = await findings_for([lame], "lame.com", tmp_path, checks=["domain.nameservers"])
    assert (str(found["domain.nameservers"].status), found["domain.nameservers"].result) == \
        ("warn", "lame")


async def test_unreachable_nameserver_is_could_not_check(tmp_path):
    specs = [ZoneSpec("far.com", {"ns1.far.com": [("A", "127.0.0.1")],
                                  "ns2.far.com": [("A", "127.0.0.1")]})]
    found = await findings_for(specs, "far.com", tmp_path, checks=["domain.nameservers"],
                               faults={"ns1.far.com": "servfail", "ns2.far.com": "servfail"})
    assert str(found["domain.nameservers"].status) == "error"


async def test_dnssec_states(tmp_path):
    specs = [zone("plain.com"), zone("wrongds.com", signed=True, dnssec_fault="wrong_ds"),
             zone("stale.com", signed=True, dnssec_fault="expired_signatures"),
             zone("island.com", signed=True, dnssec_fault="no_ds")]
    expected = {"plain.com": ("warn", "unsigned"), "wrongds.com": ("fail", "bogus"),
                "stale.com": ("fail", "bogus"), "island.com": ("warn", "island")}
    for domain, (status, result) in expected.items():
        found = await findings_for(specs, domain, tmp_path, checks=["domain.dnssec"])
        assert (str(found["domain.dnssec"].status), found["domain.dnssec"].result) == \
            (status, result), domain


async def test_dnssec_dns_failure_is_error(tmp_path):
    specs = [zone("keys.com", signed=True)]
    found = await findings_for(specs, "keys.com", tmp_path, checks=["domain.dnssec"],
                               faults={"keys.com/dnskey": "servfail"})
    assert str(found["domain.dnssec"].status) == "error"


async def test_caa_is_inherited_from_the_parent_and_missing_is_warn(tmp_path):
    specs = [zone("parent.com", {"parent.com": [("CAA", '0 issue "ca.example"')],
                                 "shop.parent.com": [("A", "127.0.0.9")]}),
             zone("nocaa.com")]
    found = await findings_for(specs, "shop.parent.com", tmp_path, checks=["domain.caa"])
    assert str(found["domain.caa"].status) == "pass"
    assert found["domain.caa"].evidence["found_at"] == "parent.com"
    found = await findings_for(specs, "nocaa.com", tmp_path, checks=["domain.caa"])
    assert str(found["domain.caa"].status) == "warn"
    found = await findings_for(specs, "nocaa.com", tmp_path, checks=["domain.caa"],
                               faults={"nocaa.com/caa": "servfail"})
    assert str(found["domain.caa"].status) == "error"


async def test_every_nameserver_lame_fails(tmp_path):
    specs = [ZoneSpec("void.com", {})]  # ns1/ns2.void.com have no address
    found = await findings_for(specs, "void.com", tmp_path, checks=["domain.nameservers"])
    assert (str(found["domain.nameservers"].status), found["domain.nameservers"].result) == \
        ("fail", "lame")


async def test_the_domain_timeout_ends_a_scan_whatever_the_servers_do(tmp_path):
    import time

    specs = [zone("stuck.com", {"stuck.com": [("MX", "10 mx.stuck.com.")]})]
    faults = {"stuck.com/mx": "drop", "_dmarc.stuck.com": "drop", "stuck.com/txt": "drop"}
    async with lab_dns(specs, tmp_path, faults=faults, timeout=5.0,
                       domain_timeout=0.6) as (_, config):
        started = time.monotonic()
        [result] = await scan_domains(["stuck.com"], config)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0
    statuses = {f.check: str(f.status) for f in result.findings}
    for check in ("email.mx", "email.spf.record", "email.dmarc.record"):
        assert statuses[check] == "error", check
    assert statuses["domain.resolves"] == "pass"  # what did answer is still reported


async def test_a_subdomain_is_not_a_zone_for_the_nameserver_check(tmp_path):
    specs = [zone("parent.com", {"shop.parent.com": [("A", "127.0.0.9")]})]
    found = await findings_for(specs, "shop.parent.com", tmp_path,
                               checks=["domain.nameservers"])
    assert (str(found["domain.nameservers"].status), found["domain.nameservers"].result) == \
        ("info", "not-a-zone")


async def test_nxdomain_ends_the_scan_whatever_checks_are_chosen(tmp_path):
    async with lab_dns([zone("acme.com")], tmp_path, checks=("email.*",)) as (_, config):
        [result] = await scan_domains(["nope.acme.com"], config)
    assert result.error.code == "nxdomain" and result.findings == ()


async def test_island_whose_keys_cannot_be_fetched_is_could_not_check(tmp_path):
    specs = [zone("keys.com", signed=True, dnssec_fault="no_ds")]
    found = await findings_for(specs, "keys.com", tmp_path, checks=["domain.dnssec"],
                               faults={"keys.com/dnskey": "servfail"})
    assert str(found["domain.dnssec"].status) == "error"


@pytest.mark.parametrize("records", [[("CAA", '0 issuewild "ca.example"')],
                                     [("CAA", '0 iodef "mailto:sec@x.example"')]])
async def test_caa_without_an_issue_entry_does_not_limit_issuance(records, tmp_path):
    specs = [zone("ca.com", {"ca.com": records})]
    found = await findings_for(specs, "ca.com", tmp_path, checks=["domain.caa"])
    assert (str(found["domain.caa"].status), found["domain.caa"].result) == ("warn", "no-issue")
