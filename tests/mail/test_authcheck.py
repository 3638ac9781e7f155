"""Our own SPF, DKIM, DMARC and ARC checks, against an in-memory zone (the lab corpus in
test_lab_corpus.py runs the same checks against the lab's DNS server)."""

from __future__ import annotations

import asyncio
import base64
import json
from functools import cache

import dkim
import pytest
import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from cyberbasics.mail.authcheck import check, key_names
from cyberbasics.mail.verdict import Options
from cyberbasics.net.dns import DnsAnswer


@cache
def _key(bits: int = 1024) -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


class ZoneDns:
    """Answers from a dict; a name listed in `broken` times out."""

    def __init__(self, records: dict[tuple[str, str], list[str]], broken=()):
        self.records = records
        self.broken = set(broken)
        self.asked: list[tuple[str, str]] = []

    async def lookup(self, name: str, rdtype: str, **_) -> DnsAnswer:
        name = name.rstrip(".").lower()
        self.asked.append((name, rdtype))
        if name in self.broken:
            return DnsAnswer(name, rdtype, "TIMEOUT", error="no answer in time")
        found = self.records.get((name, rdtype))
        if found is not None:
            return DnsAnswer(name, rdtype, "NOERROR", tuple(found))
        exists = any(n == name for n, _ in self.records)
        return DnsAnswer(name, rdtype, "NOERROR" if exists else "NXDOMAIN")


def zone(policy: str | None = "reject", spf: str = "v=spf1 ip4:192.0.2.25 -all"):
    _, public = _key()
    records = {
        ("supplier.test", "TXT"): [spf],
        ("s1._domainkey.supplier.test", "TXT"): [f"v=DKIM1; k=rsa; p={public}"],
        ("lists.test", "TXT"): ["v=spf1 ip4:192.0.2.80 -all"],
        ("l1._domainkey.lists.test", "TXT"): [f"v=DKIM1; k=rsa; p={public}"],
    }
    if policy:
        records[("_dmarc.supplier.test", "TXT")] = [f"v=DMARC1; p={policy}"]
    return records


BODY = b"Hello,\r\n\r\nThe invoice for November is attached.\r\n\r\nAnna\r\n"


def message(from_="Anna <anna@supplier.test>", body=BODY, extra=b"") -> bytes:
    return (b"From: " + from_.encode() + b"\r\nTo: Ewa <ewa@florist.test>\r\n"
            b"Subject: Invoice November\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
            b"Message-ID: <1@supplier.test>\r\n" + extra + b"\r\n" + body)


def sign(data: bytes, domain=b"supplier.test", selector=b"s1") -> bytes:
    private, _ = _key()
    return dkim.sign(data, selector, domain, private,
                     include_headers=[b"from", b"to", b"subject", b"date"]) + data


def deliver(data: bytes, ip="192.0.2.25", helo="mail.supplier.test",
            envelope="anna@supplier.test") -> bytes:
    return (f"Return-Path: <{envelope}>\r\n"
            f"Received: from {helo} ({helo} [{ip}]) by mx.florist.test with ESMTPS id 1; "
            "Tue, 24 Nov 2026 10:00:02 +0000\r\n").encode() + data


def run(data: bytes, records=None, options=None, broken=()):
    dns = ZoneDns(zone() if records is None else records, broken)
    return asyncio.run(check(data, options or Options(), dns)), dns


def ids(analysis) -> set[str]:
    return {r.id for r in analysis.reasons}


def test_signed_and_sent_from_its_own_server_is_authentic():
    analysis, _ = run(deliver(sign(message())))
    assert analysis.verdict == "authentic"
    assert {"dkim_pass", "spf_pass", "dmarc_pass"} <= ids(analysis)
    assert analysis.checks["dmarc"]["aligned_dkim"] == ["supplier.test"]
    assert "dkim:supplier.test" in analysis.infrastructure


def test_spoof_from_another_server_under_reject_is_forged():
    analysis, _ = run(deliver(message(), ip="198.51.100.9", helo="bad.test"))
    assert analysis.verdict == "forged"
    assert {"spf_fail", "no_signature", "dmarc_fail_enforced"} <= ids(analysis)


def test_body_changed_after_signing_fails_dkim():
    signed = sign(message())
    tampered = signed.replace(b"November is", b"December is")
    analysis, _ = run(deliver(tampered, ip="198.51.100.9"))
    dkim_reason = next(r for r in analysis.reasons if r.id == "dkim_fail")
    assert "body hash" in dkim_reason.evidence["why"]
    assert analysis.verdict == "forged"


def test_forwarded_without_arc_still_passes_on_the_signature():
    analysis, _ = run(deliver(sign(message()), ip="203.0.113.7", helo="fwd.test",
                              envelope="bounce@fwd.test"))
    assert analysis.verdict == "authentic"
    assert "dkim_pass" in ids(analysis) and "spf_pass" not in ids(analysis)


def test_no_policy_but_aligned_signature_is_authentic_with_its_own_reason():
    analysis, _ = run(deliver(sign(message())), zone(policy=None))
    assert analysis.verdict == "authentic"
    assert "dmarc_aligned_no_policy" in ids(analysis) and "dmarc_pass" not in ids(analysis)


def test_spf_hard_fail_without_policy_is_suspicious():
    analysis, _ = run(deliver(message(), ip="198.51.100.9"), zone(policy=None))
    assert analysis.verdict == "suspicious"
    assert {"spf_fail", "spf_fail_no_policy", "dmarc_no_policy"} <= ids(analysis)


def test_policy_none_failure_is_unknown_not_safe():
    analysis, _ = run(deliver(message(), ip="198.51.100.9"), zone(policy="none"))
    assert analysis.verdict == "unknown" and "dmarc_fail" in ids(analysis)


def test_a_key_lookup_that_times_out_is_never_a_verdict():
    analysis, _ = run(deliver(sign(message()), ip="198.51.100.9"),
                      broken={"s1._domainkey.supplier.test"})
    assert analysis.verdict == "unknown"
    assert {"dkim_temperror", "dns_temperror"} <= ids(analysis)


def test_lookalike_with_perfect_authentication_is_suspicious():
    records = zone()
    records = {(n.replace("supplier.test", "supp1ier.test"), t): v for (n, t), v in records.items()}
    data = deliver(sign(message("Anna <anna@supp1ier.test>"), domain=b"supp1ier.test"),
                   envelope="anna@supp1ier.test", helo="mail.supp1ier.test")
    analysis, _ = run(data, records, Options(contact_domains=("supplier.test",)))
    assert "dmarc_pass" in ids(analysis) and "lookalike_domain" in ids(analysis)
    assert analysis.verdict == "suspicious"


def test_no_envelope_no_spf_and_headers_only_no_dkim():
    data = sign(message())
    received = (b"Received: from mail.supplier.test ([192.0.2.25]) by mx.florist.test; "
                b"Tue, 24 Nov 2026 10:00:02 +0000\r\n")
    analysis, _ = run(received + data)
    assert "spf_no_envelope" in ids(analysis) and analysis.verdict == "authentic"
    headers_only = (received + data).split(b"\r\n\r\n")[0] + b"\r\n"
    analysis, _ = run(headers_only)
    assert {"dkim_not_checked_headers_only", "dmarc_incomplete"} <= ids(analysis)
    assert analysis.verdict == "unknown"


def test_null_sender_checks_the_helo_name():
    records = zone()
    records[("mail.supplier.test", "TXT")] = ["v=spf1 ip4:192.0.2.25 -all"]
    data = deliver(message(), envelope="")
    analysis, _ = run(data, records)
    spf = next(r for r in analysis.reasons if r.id == "spf_pass")
    assert spf.evidence["domain"] == "mail.supplier.test"
    # HELO is not the From domain under strict SPF alignment, but is under relaxed
    assert analysis.verdict == "authentic"


def _arc_seal(data: bytes, srv_id=b"lists.test") -> bytes:
    private, _ = _key()
    seal = dkim.arc_sign(data, b"l1", b"lists.test", private, srv_id,
                         timestamp=1795000000)
    return b"".join(seal) + data


def _list_message() -> bytes:
    original = sign(message())
    # the list adds a tag to the subject (breaks DKIM), then seals what it saw
    seen = (b"Authentication-Results: lists.test; dkim=pass header.d=supplier.test; "
            b"spf=pass smtp.mailfrom=supplier.test; dmarc=pass header.from=supplier.test\r\n"
            + original.replace(b"Subject: Invoice", b"Subject: [team] Invoice"))
    return deliver(_arc_seal(seen), ip="192.0.2.80", helo="mail.lists.test",
                   envelope="team-bounces@lists.test")


def test_a_mailing_list_the_business_trusts_excuses_the_failure():
    trusting = Options(trusted_arc_sealers=("lists.test",))
    analysis, _ = run(_list_message(), options=trusting)
    assert analysis.arc == "pass", analysis.checks.get("arc")
    assert {"arc_valid", "dkim_fail", "arc_forwarded"} <= ids(analysis)
    assert analysis.verdict == "unknown"
    broken = _list_message().replace(b"The invoice", b"The new invoice")
    analysis, _ = run(broken, options=trusting)
    assert analysis.arc == "fail" and analysis.verdict == "forged"


def test_an_intact_chain_from_anyone_else_is_never_forged_nor_excused():
    # An attacker can seal its own spoof: the chain holds, but vouches for nothing.
    analysis, _ = run(_list_message())
    assert analysis.arc == "pass" and not analysis.arc_trusted
    assert "arc_untrusted_sealer" in ids(analysis) and "arc_forwarded" not in ids(analysis)
    assert analysis.verdict == "suspicious"


def test_a_sealer_key_that_cannot_be_fetched_is_not_a_broken_chain():
    analysis, _ = run(_list_message(), broken={"l1._domainkey.lists.test"},
                      options=Options(trusted_arc_sealers=("lists.test",)))
    assert analysis.arc == "temperror"
    assert {"arc_not_verified", "dns_temperror"} <= ids(analysis)
    assert analysis.verdict == "suspicious"  # never forged on a lookup that failed


def test_dkim_results_name_the_signature_dkimpy_checked():
    # A bare CR hides a fake bank.test signature inside X-Note for dkimpy but not for
    # Python's parser: the attacker's own valid signature must not be credited to bank.test.
    records = zone()
    private, public = _key()
    records[("k1._domainkey.evil.test", "TXT")] = [f"v=DKIM1; k=rsa; p={public}"]
    records[("_dmarc.bank.test", "TXT")] = ["v=DMARC1; p=reject"]
    body = message("CEO <ceo@bank.test>")
    signed = dkim.sign(body, b"k1", b"evil.test", private,
                       include_headers=[b"from", b"to", b"subject"]) + body
    fake = (b"X-Note: hi\rDKIM-Signature: v=1; a=rsa-sha256; d=bank.test; s=k1; h=from; "
            b"bh=AAAA; b=AAAA\r\n")
    analysis, _ = run(deliver(fake + signed, ip="198.51.100.9", envelope="x@evil.test"),
                      records)
    assert [r["domain"] for r in analysis.checks["dkim"]] == ["evil.test"]
    assert analysis.verdict != "authentic"
    assert "several_from" in ids(analysis) or analysis.verdict == "forged"


def _bogus(domain: str, count: int, selector: str = "s") -> bytes:
    return b"".join(f"DKIM-Signature: v=1; a=rsa-sha256; d={domain}; s={selector}{i}; h=from; "
                    f"bh=AA; b=AA\r\n".encode() for i in range(count))


def test_a_flood_of_signatures_costs_a_bounded_number_of_lookups():
    many = b"".join(_bogus(f"d{i}.test", 1) for i in range(300))
    analysis, dns = run(deliver(many + sign(message()), ip="198.51.100.9"))
    key_lookups = [n for n, t in dns.asked if "._domainkey." in n]
    assert len(key_lookups) <= 24
    assert len(analysis.checks["dkim"]) == 8
    assert "dkim_too_many" in ids(analysis)
    # The aligned signature is checked first, whatever stands before it.
    assert analysis.checks["dkim"][0]["domain"] == "supplier.test"
    assert analysis.verdict == "authentic"


def test_padding_a_spoof_with_signatures_does_not_excuse_it():
    spoof = deliver(message(), ip="198.51.100.9", helo="bad.test")
    # Signatures of other domains could never have passed DMARC: still forged.
    analysis, _ = run(_bogus("evil.test", 12) + spoof)
    assert analysis.verdict == "forged"
    # Signatures of the spoofed domain nobody can check hide nothing: suspicious, not unknown.
    for padding in (_bogus("supplier.test", 9), _bogus("supplier.test", 1, "no-such-key"),
                    b"DKIM-Signature: v=1; a=rsa-sha256; d=supplier.test; h=from; b=A\r\n"):
        analysis, _ = run(deliver(padding + message(), ip="198.51.100.9", helo="bad.test"))
        assert analysis.verdict in ("suspicious", "forged"), padding[:80]


def test_tag_names_are_read_as_dkimpy_reads_them():
    # "D=" is not "d=": dkimpy verifies evil.test's signature, so must we name it.
    records = zone()
    private, public = _key()
    records[("s1._domainkey.evil.test", "TXT")] = [f"v=DKIM1; k=rsa; p={public}"]
    body = message()
    signed = dkim.sign(body, b"s1", b"evil.test", private,
                       include_headers=[b"from", b"to", b"subject"]) + body
    tricked = signed.replace(b"d=evil.test;", b"d=evil.test; D=supplier.test;", 1)
    analysis, _ = run(deliver(tricked, ip="198.51.100.9", envelope="x@evil.test"), records)
    assert {r["domain"] for r in analysis.checks["dkim"]} <= {"evil.test"}
    assert analysis.verdict != "authentic"


def test_two_from_headers_are_never_authentic():
    data = deliver(b"From: Bank Security <security@supplier.test>\r\n" + sign(message()))
    analysis, _ = run(data)
    assert "several_from" in ids(analysis) and analysis.verdict == "suspicious"


def test_a_from_domain_that_is_no_domain_is_suspicious_not_a_crash():
    analysis, _ = run(deliver(message("Boss <boss@exa_mple..com>")))
    assert "from_not_a_domain" in ids(analysis) and analysis.verdict == "suspicious"


@pytest.mark.parametrize("policy", ["reject; t=y", "quarantine; pct=0", "reject; pct=50"])
def test_a_policy_in_testing_is_no_proof(policy):
    analysis, _ = run(deliver(message(), ip="198.51.100.9"), zone(policy=policy))
    assert analysis.verdict == "unknown" and "dmarc_fail" in ids(analysis)


def test_a_hop_between_one_organisations_own_servers_says_nothing_about_spf():
    data = deliver(sign(message()), ip="2603:10a6::1", helo="am0pr01.prod.outlook.test")
    data = data.replace(b"by mx.florist.test", b"by am9pr02.prod.outlook.test")
    analysis, _ = run(data)
    assert "spf_internal_hop" in ids(analysis) and analysis.verdict == "authentic"
    # the relay's network is the provider's, not the sender's: not kept as "seen"
    assert not [k for k in analysis.infrastructure if k.startswith("net:")]
    assert "dkim:supplier.test" in analysis.infrastructure


def test_a_helo_naming_the_receiver_never_hides_a_spoof():
    spoof = deliver(message(), ip="198.51.100.9", helo="relay.florist.test")
    analysis, _ = run(spoof)
    assert "spf_internal_hop" in ids(analysis)
    assert analysis.verdict == "suspicious"  # never unknown on a claim the sender makes
    named = Options(mx_hosts=("mx.florist.test",))
    analysis, _ = run(spoof, options=named)
    assert "spf_internal_hop" not in ids(analysis) and analysis.verdict == "forged"


def test_a_key_no_longer_published_is_not_proof_of_forgery():
    records = zone()
    del records[("s1._domainkey.supplier.test", "TXT")]
    analysis, _ = run(deliver(sign(message()), ip="198.51.100.9"), records)
    assert {"dkim_key_missing", "dmarc_incomplete"} <= ids(analysis)
    # Not forged (the key may have been rotated since), but a sender can name a key that does
    # not exist, so not "unknown" either.
    assert analysis.verdict == "suspicious"


def test_a_key_lookup_of_the_domain_that_fails_is_unknown():
    analysis, _ = run(deliver(sign(message()), ip="198.51.100.9"),
                      broken={"s1._domainkey.supplier.test"})
    assert analysis.verdict == "unknown" and "dmarc_incomplete" in ids(analysis)


def test_added_after_signing_is_suspicious():
    private, _ = _key()
    body = message()
    with_length = dkim.sign(body, b"s1", b"supplier.test", private, length=True,
                            include_headers=[b"from", b"to", b"subject", b"date"]) + body
    appended = with_length + b"\r\nNew bank account: XX00 1234.\r\n"
    analysis, _ = run(deliver(appended))
    assert "dkim_body_beyond_length" in ids(analysis) and analysis.verdict == "suspicious"
    second_subject = deliver(b"Subject: URGENT: pay today\r\n" + sign(message()))
    analysis, _ = run(second_subject)
    assert "unsigned_header_copy" in ids(analysis) and analysis.verdict == "suspicious"


def test_an_address_inside_the_local_part_is_deception():
    analysis, _ = run(deliver(message('"ceo@supplier.test"@evil.test')))
    assert "address_in_local_part" in ids(analysis) and analysis.verdict == "suspicious"


def test_a_message_dkimpy_cannot_read_is_never_called_forged():
    broken = sign(message()).replace(b"Subject: Invoice", b"X-Old : y\r\nSubject: Invoice")
    analysis, _ = run(deliver(broken, ip="198.51.100.9"))
    assert "signatures_unreadable" in ids(analysis) and analysis.verdict != "forged"


def test_a_trusted_sealer_that_saw_a_failure_does_not_excuse_it():
    original = message()  # unsigned: the list saw it fail
    seen = (b"Authentication-Results: lists.test; spf=fail smtp.mailfrom=supplier.test; "
            b"dmarc=fail header.from=supplier.test\r\n" + original)
    data = deliver(_arc_seal(seen), ip="192.0.2.80", helo="mail.lists.test",
                   envelope="team-bounces@lists.test")
    analysis, _ = run(data, options=Options(trusted_arc_sealers=("lists.test",)))
    assert analysis.arc == "pass"
    assert "arc_no_recorded_pass" in ids(analysis) and analysis.verdict == "suspicious"


def test_new_sending_infrastructure_for_a_known_sender():
    seen = {"supplier.test": frozenset({"net:192.0.99.0/24", "spf:oldhost.test"})}
    spoof = deliver(message(), ip="198.51.100.9", helo="bad.test")
    analysis, _ = run(spoof, zone(policy="none"), Options(seen_infrastructure=seen))
    assert "new_sending_infrastructure" in ids(analysis) and analysis.verdict == "suspicious"
    # a real move to a new provider still passes DMARC: authentic, the change noted
    analysis, _ = run(deliver(sign(message())), options=Options(seen_infrastructure=seen))
    assert "new_sending_infrastructure" in ids(analysis) and analysis.verdict == "authentic"
    # seen before through the same signer: nothing new
    seen = {"supplier.test": frozenset({"dkim:supplier.test"})}
    analysis, _ = run(deliver(sign(message())), options=Options(seen_infrastructure=seen))
    assert "new_sending_infrastructure" not in ids(analysis)


def test_only_the_keys_the_message_names_are_asked():
    data = deliver(sign(message()))
    assert key_names(data) == ["s1._domainkey.supplier.test"]
    _, dns = run(data)
    assert {name for name, _ in dns.asked} <= {
        "s1._domainkey.supplier.test", "supplier.test", "_dmarc.supplier.test",
        "_dmarc.test"}  # DMARC discovery also asks the public-suffix domain (RFC 9989)


def test_cli_checks_through_the_named_resolver(monkeypatch):
    from cyberbasics.cli import email_check

    used = []

    class FakeClient(ZoneDns):
        def __init__(self, nameservers, timeout):
            used.append(nameservers)
            super().__init__(zone())

        async def aclose(self):
            pass

    monkeypatch.setattr("cyberbasics.net.dns.DnsClient", FakeClient)
    app = typer.Typer()
    app.add_typer(email_check.email_app, name="email")  # as cli/main.py mounts it
    result = CliRunner().invoke(app, ["email", "check", "-", "--format", "json",
                                      "--nameserver", "127.0.0.1:5353"],
                                input=deliver(sign(message())))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] == "authentic"
    assert used == [(("127.0.0.1", 5353),)]


@pytest.mark.parametrize("garbage", [
    b"DKIM-Signature: v=1; a=rsa-sha256; d=supplier.test; s=s1; b=!!!; bh=???; h=from\r\n",
    b"DKIM-Signature: nonsense\r\n",
    b"ARC-Seal: i=1; a=rsa-sha256; d=lists.test; s=l1; cv=none; b=AAAA\r\n",
])
def test_broken_signatures_never_sink_the_check(garbage):
    analysis, _ = run(deliver(garbage + message(), ip="198.51.100.9"))
    assert analysis.verdict in ("forged", "unknown")


@pytest.mark.parametrize("header", [
    b"Authentication-Results: mx.florist.test; dmarc=fail action=none "
    b"header.from=supplier.test\r\n",
    b"Authentication-Results: mx.florist.test; dmarc=fail (p=REJECT sp=REJECT dis=NONE) "
    b"header.from=supplier.test\r\n",
])
def test_a_failure_the_receiver_chose_not_to_act_on_is_no_proof(header):
    spoof = deliver(message(), ip="198.51.100.9", helo="bad.test")
    received, rest = spoof.split(b"Received:", 1)
    data = received + header + b"Received:" + rest  # the receiver's A-R sits above its Received
    trusting = Options(trusted_authserv_ids=("mx.florist.test",))
    analysis, _ = run(data, options=trusting)
    assert "dmarc_fail" in ids(analysis) and "dmarc_fail_enforced" not in ids(analysis)
    assert analysis.verdict == "unknown"
    applied = data.replace(b"action=none ", b"action=reject ").replace(b"dis=NONE", b"dis=REJECT")
    analysis, _ = run(applied, options=trusting)
    assert analysis.verdict == "forged"


def test_a_spoof_of_a_subdomain_that_does_not_exist_meets_the_np_policy():
    records = zone(policy="reject; sp=none; np=reject")
    spoof = deliver(message("Security <alerts@secure.supplier.test>"), ip="198.51.100.9",
                    envelope="alerts@secure.supplier.test")
    analysis, _ = run(spoof, records)
    assert analysis.checks["from_domain_exists"] is False
    assert analysis.checks["dmarc"]["policy"] == "reject" and analysis.verdict == "forged"
    records[("secure.supplier.test", "MX")] = ["10 mx.supplier.test."]  # it exists: sp=none
    analysis, _ = run(spoof, records)
    assert analysis.checks["dmarc"]["policy"] == "none" and analysis.verdict == "unknown"
