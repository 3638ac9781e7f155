"""The suspicious-email checker on the web: the public page (nothing kept), a business's
checker (history, correspondents, its mail server's settings, infrastructure seen before),
clear errors for bad input, and one business never reaching another's checks."""

from __future__ import annotations

import asyncio
import base64
import html
import json
from functools import cache
from pathlib import Path

import dkim
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cyberbasics.mail.message import MessageError, parse_message
from cyberbasics.mail.verdict import Options, analyse
from cyberbasics.net.dns import DnsAnswer, DnsClient
from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.models import Domain, Membership
from cyberbasics.web.mailcheck import checking
from cyberbasics.web.mailcheck.forms import MAX_MESSAGE_BYTES, host_name
from cyberbasics.web.mailcheck.models import CheckedMessage, Correspondent, MailSettings
from cyberbasics.web.mailcheck.selectors import export_data
from cyberbasics.web.programmes.testing import (
    give_access,
    make_advisor,
    make_business,
    make_programme,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[1] / "mail" / "corpus"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
BUSINESS_DOMAIN = "acmebakery.pl"  # the corpus's receiving business


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def expected(name: str) -> dict:
    """The corpus's expectation for a file checked with the default options."""
    cases = [c for c in EXPECTED["cases"] if c["file"] == name
             and not ({"mx_hosts", "trusted_authserv_ids", "own_domains"} & c.keys())]
    assert cases, f"{name} has no default case in expected.yaml"
    return cases[0]


@pytest.fixture(autouse=True)
def no_resolver(settings):
    """Scanning not set up: the checker works offline (and says so) unless a test sets
    it up."""
    settings.CYBERBASICS_LAB_STATE = ""
    settings.CYBERBASICS_NAMESERVERS = []


def reasons_on(response) -> list[str]:
    text = response.content.decode()
    return [part.split('"', 1)[0] for part in text.split('data-reason="')[1:]]


def public_post(client, **data):
    return client.post(reverse("mailcheck:check"), data)


# --- the public page ------------------------------------------------------------------------


def test_public_page_explains_and_offers_the_form(client):
    response = client.get(reverse("mailcheck:check"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Show original" in page and "<details" in page
    assert 'enctype="multipart/form-data"' in page
    assert "Nothing you paste here is kept" in page


def test_public_check_of_a_corpus_message_shows_its_verdict_and_keeps_nothing(client):
    case = expected("spoofed-display-address.eml")
    response = public_post(client, source=corpus(case["file"]).decode())
    assert response.status_code == 200
    page = response.content.decode()
    assert case["verdict"] == "suspicious"
    assert 'class="verdict verdict-warn"' in page and ">Suspicious</span>" in page
    assert reasons_on(response) == case["reasons"]
    assert "The sender&#x27;s name shows the address ceo@acmebakery.pl" in page
    assert "Nothing about this message was kept" in page
    assert "could not be checked" in page  # no resolver here: said, not hidden
    assert not CheckedMessage.objects.exists()
    assert not Correspondent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="mailcheck").exists()


def test_public_upload_with_the_receivers_settings_can_be_authentic(client):
    case = next(c for c in EXPECTED["cases"] if c["file"] == "genuine-pass.eml"
                and c.get("verdict") == "authentic")
    upload = SimpleUploadedFile("message.eml", corpus(case["file"]), "message/rfc822")
    response = client.post(reverse("mailcheck:check"), {
        "upload": upload, "trusted_authserv_ids": "mx1.acmebakery.pl"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="verdict verdict-good"' in page and ">Authentic</span>" in page
    assert reasons_on(response) == case["reasons"]
    assert "192.0.2.10" in page  # the trusted hop, in the evidence
    assert not CheckedMessage.objects.exists()


def test_without_the_receivers_settings_the_same_message_is_unknown(client):
    case = next(c for c in EXPECTED["cases"] if c["file"] == "genuine-pass.eml"
                and c.get("trusted_authserv_ids") == [])
    response = public_post(client, source=corpus("genuine-pass.eml").decode())
    assert ">Unknown</span>" in response.content.decode()
    assert reasons_on(response) == case["reasons"]


def test_the_verdict_and_reasons_come_in_the_pages_language(client):
    words = yaml.safe_load((Path(__file__).resolve().parents[2] / "src" / "cyberbasics" /
                            "content" / "pl" / "email.yaml").read_text(encoding="utf-8"))
    response = client.post(reverse("mailcheck:check"),
                           {"source": corpus("spoofed-display-address.eml").decode()},
                           HTTP_ACCEPT_LANGUAGE="pl")
    page = response.content.decode()
    assert '<html lang="pl">' in page
    assert f">{words['verdict_names']['suspicious']}</span>" in page
    assert html.escape(words["verdicts"]["suspicious"], quote=True) in page


@pytest.mark.parametrize("name", ["broken-no-from.eml", "broken-no-colon.eml"])
def test_a_message_that_cannot_be_read_gives_the_form_again_with_why(client, name):
    case = next(c for c in EXPECTED["cases"] if c["file"] == name)
    text = corpus(name).decode()
    response = public_post(client, source=text)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This message could not be read" in page
    assert html.escape(case["error"]) in page
    assert 'id="verdict"' not in page
    assert html.escape(text.strip().splitlines()[0]) in page  # the pasted text is kept


def test_why_a_message_cannot_be_read_comes_in_the_pages_language(client):
    response = client.post(reverse("mailcheck:check"), {"source": "Subject: no sender\n"},
                           HTTP_ACCEPT_LANGUAGE="pl")
    page = response.content.decode()
    assert '<html lang="pl">' in page
    assert "Nie udało się odczytać wiadomości: wiadomość nie ma nagłówka From" in page
    assert "no From header" not in page


def test_nothing_given_is_a_clear_error(client):
    response = public_post(client, source="   ")
    assert response.status_code == 200
    assert "Paste the message&#x27;s source or choose a .eml file." in \
        response.content.decode()


def test_bad_domain_is_a_clear_error_and_keeps_the_text(client):
    response = public_post(client, source="From: a@b.example\n", own_domains="not a domain!")
    assert response.status_code == 200
    page = response.content.decode()
    assert "is not a domain or host name" in page
    assert "From: a@b.example" in page


def test_an_upload_too_big_is_refused_with_the_limit(client):
    big = SimpleUploadedFile("huge.eml", b"X" * (MAX_MESSAGE_BYTES + 1), "message/rfc822")
    response = client.post(reverse("mailcheck:check"), {"upload": big})
    assert response.status_code == 200
    page = response.content.decode()
    assert "at most 2 MB" in page and "2.0 MB" in page
    assert 'id="verdict"' not in page


def test_pasted_text_too_big_is_refused_with_the_limit(client):
    response = public_post(client, source="Subject: x\n" + "a" * MAX_MESSAGE_BYTES)
    assert response.status_code == 200
    assert "at most 2 MB" in response.content.decode()


def test_domain_names_are_read_as_people_type_them():
    assert host_name("Example.COM.") == "example.com"
    assert host_name("jan@acmebakery.pl") == "acmebakery.pl"
    assert host_name("bäckerei.de") == "xn--bckerei-5wa.de"
    assert host_name("192.0.2.1") is None
    assert host_name("localhost") is None
    assert host_name("bad_name.example") is None


# --- the checks themselves: DNS when set up, said when not ------------------------------------


def test_dns_checks_that_take_too_long_fall_back_and_say_so(settings, monkeypatch):
    settings.CYBERBASICS_NAMESERVERS = ["127.0.0.1:9"]

    async def slow(data, options, dns):
        await asyncio.sleep(5)

    monkeypatch.setattr(checking, "authentication_check", slow)
    monkeypatch.setattr(checking, "CHECK_SECONDS", 0.05)
    outcome = checking.run_check(corpus("spoofed-display-address.eml"), Options())
    assert not outcome.dns_checked
    assert "took too long" in outcome.not_checked_because
    assert outcome.analysis.verdict == "suspicious"


def test_a_fault_in_our_own_checks_falls_back_and_says_so(settings, monkeypatch):
    settings.CYBERBASICS_NAMESERVERS = ["127.0.0.1:9"]

    async def broken(data, options, dns):
        raise RuntimeError("a bug")

    monkeypatch.setattr(checking, "authentication_check", broken)
    outcome = checking.run_check(corpus("spoofed-display-address.eml"), Options())
    assert not outcome.dns_checked and "failed on our side" in outcome.not_checked_because
    assert outcome.analysis.verdict == "suspicious"


def test_dns_checks_use_the_sites_resolver_and_close_it(settings, monkeypatch):
    settings.CYBERBASICS_NAMESERVERS = ["127.0.0.1:5399"]
    clients = []

    class RecordingClient(DnsClient):
        closed = False

        def close(self):
            self.closed = True
            super().close()

    async def fake_check(data, options, dns):
        clients.append(dns)
        return analyse(parse_message(data), options)

    monkeypatch.setattr(checking, "DnsClient", RecordingClient)
    monkeypatch.setattr(checking, "authentication_check", fake_check)
    outcome = checking.run_check(corpus("spoofed-display-address.eml"), Options())
    assert outcome.dns_checked and outcome.not_checked_because == ""
    [dns] = clients
    assert dns.nameservers == [("127.0.0.1", 5399)] and dns.closed


class ZoneDns:
    """A resolver answering from a dict, in place of the site's DnsClient."""

    def __init__(self, records: dict[tuple[str, str], list[str]]):
        self.records = records
        self.closed = False

    async def lookup(self, name: str, rdtype: str, **_) -> DnsAnswer:
        name = name.rstrip(".").lower()
        found = self.records.get((name, rdtype))
        if found is not None:
            return DnsAnswer(name, rdtype, "NOERROR", tuple(found))
        return DnsAnswer(name, rdtype, "NXDOMAIN")

    async def aclose(self) -> None:
        self.closed = True


def signed_message() -> tuple[bytes, dict]:
    """A message DKIM-signed by supplier.test, and the zone that publishes its key and a
    DMARC policy: our own checks find it authentic without any header's word."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    data = (b"From: Anna <anna@supplier.test>\r\nTo: Ewa <ewa@florist.test>\r\n"
            b"Subject: Invoice November\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
            b"Message-ID: <1@supplier.test>\r\n\r\nThe invoice is attached.\r\n")
    signed = dkim.sign(data, b"s1", b"supplier.test", private,
                       include_headers=[b"from", b"to", b"subject", b"date"]) + data
    zone = {("s1._domainkey.supplier.test", "TXT"): [f"v=DKIM1; k=rsa; p={public}"],
            ("_dmarc.supplier.test", "TXT"): ["v=DMARC1; p=reject"]}
    return signed, zone


def test_with_a_resolver_the_page_shows_this_sites_own_checks(client, settings, monkeypatch):
    settings.CYBERBASICS_NAMESERVERS = ["127.0.0.1:5399"]
    data, zone = signed_message()
    resolvers = []
    monkeypatch.setattr(checking, "DnsClient",
                        lambda *a, **k: resolvers.append(ZoneDns(zone)) or resolvers[-1])
    response = public_post(client, source=data.decode())
    page = response.content.decode()
    assert ">Authentic</span>" in page
    assert "could not be checked" not in page and "took too long" not in page
    assert "this site" in page  # who found the DMARC pass, in the evidence
    assert [r.closed for r in resolvers] == [True]
    assert not CheckedMessage.objects.exists()


def test_a_message_that_cannot_be_read_is_refused_before_any_lookup(settings, monkeypatch):
    settings.CYBERBASICS_NAMESERVERS = ["127.0.0.1:5399"]
    monkeypatch.setattr(checking, "DnsClient", None)  # would fail if a client were made
    with pytest.raises(MessageError, match="no From header"):
        checking.run_check(corpus("broken-no-from.eml"), Options())


# --- a business's checker ---------------------------------------------------------------------


@pytest.fixture
def bakery():
    owner = make_user("owner@acmebakery.pl")
    business = make_business("Acme Bakery", owner=owner)
    Domain.objects.create(business=business, name=BUSINESS_DOMAIN)
    MailSettings.objects.create(business=business, mx_hosts=["mx1.acmebakery.pl"],
                                trusted_authserv_ids=["mx1.acmebakery.pl"])
    return business, owner


def business_post(client, business, data: bytes, **extra):
    return client.post(reverse("mailcheck:business-check", args=[business.pk]),
                       {"source": data.decode("utf-8"), **extra})


def test_business_check_keeps_the_envelope_in_the_history_never_the_text(client, bakery):
    business, owner = bakery
    sign_in(client, owner)
    response = business_post(client, business, corpus("genuine-pass.eml"))
    assert response.status_code == 200
    assert ">Authentic</span>" in response.content.decode()
    checked = CheckedMessage.objects.get()
    assert (checked.business, checked.checked_by, checked.verdict) == (business, owner,
                                                                       "authentic")
    assert (checked.from_address, checked.subject) == ("anna@nordsupply.de",
                                                       "Delivery schedule for December")
    assert checked.reason_ids == ["dmarc_pass"]
    stored = json.dumps(export_data(business))
    assert "December deliveries" not in stored and "Tuesdays" not in stored
    correspondent = Correspondent.objects.get()
    assert (correspondent.business, correspondent.domain, correspondent.count) == (
        business, "nordsupply.de", 1)
    assert AuditEvent.objects.filter(action="mailcheck.checked", business=business).exists()

    page = client.get(reverse("mailcheck:history", args=[business.pk])).content.decode()
    assert "Delivery schedule for December" in page and "nordsupply.de" in page
    detail = client.get(reverse("mailcheck:detail", args=[business.pk, checked.pk]))
    assert detail.status_code == 200
    assert "Your mail server (mx1.acmebakery.pl) confirmed" in detail.content.decode()

    business_post(client, business, corpus("genuine-pass.eml"))
    correspondent.refresh_from_db()
    assert correspondent.count == 2 and CheckedMessage.objects.count() == 2


def test_business_domains_and_correspondents_feed_the_lookalike_check(client, bakery):
    business, owner = bakery
    sign_in(client, owner)
    business_post(client, business, corpus("genuine-pass.eml"))  # nordsupply.de, genuine
    response = business_post(client, business,
                             corpus("lookalike-contact-greek-punycode.eml"))
    assert reasons_on(response) == ["lookalike_domain"]
    assert ">Suspicious</span>" in response.content.decode()
    # A deceptive message never becomes a correspondent.
    assert list(Correspondent.objects.values_list("domain", flat=True)) == ["nordsupply.de"]


def test_a_known_domain_sending_from_new_servers_is_flagged(client, bakery):
    business, owner = bakery
    sign_in(client, owner)
    first = corpus("genuine-pass.eml")
    business_post(client, business, first)
    assert CheckedMessage.objects.get().infrastructure, "the core named no infrastructure"
    moved = first.replace(b"from mail.nordsupply.de (mail.nordsupply.de [192.0.2.10])",
                          b"from relay.elsewhere.example (relay.elsewhere.example "
                          b"[203.0.113.99])")
    assert moved != first
    response = business_post(client, business, moved)
    assert "new_sending_infrastructure" in reasons_on(response)
    assert "new_sending_infrastructure" in CheckedMessage.objects.first().reason_ids


def test_a_message_judged_unknown_teaches_neither_contacts_nor_servers(client, bakery):
    from cyberbasics.web.mailcheck.selectors import seen_infrastructure

    business, owner = bakery
    sign_in(client, owner)
    unknown = corpus("dmarc-fail-policy-none.eml")  # smallshop.pl: DMARC fail, p=none
    response = business_post(client, business, unknown)
    assert ">Unknown</span>" in response.content.decode()
    checked = CheckedMessage.objects.get()
    assert checked.verdict == "unknown" and checked.infrastructure
    assert not Correspondent.objects.exists()
    assert seen_infrastructure(business) == {}
    # An authentic message still teaches both.
    business_post(client, business, corpus("genuine-pass.eml"))
    assert list(Correspondent.objects.values_list("domain", flat=True)) == ["nordsupply.de"]
    assert set(seen_infrastructure(business)) == {"nordsupply.de"}


def test_the_owner_sets_the_mail_server_and_it_is_used(client):
    owner = make_user()
    business = make_business(owner=owner)
    sign_in(client, owner)
    url = reverse("mailcheck:settings", args=[business.pk])
    bad = client.post(url, {"mx_hosts": "mx1.acmebakery.pl\nnot a host!",
                            "trusted_authserv_ids": ""})
    assert bad.status_code == 200 and "is not a domain or host name" in bad.content.decode()
    assert not MailSettings.objects.exists()
    saved = client.post(url, {"mx_hosts": "MX1.acmebakery.pl",
                              "trusted_authserv_ids": "mx1.acmebakery.pl"})
    assert saved.status_code == 302
    settings = MailSettings.objects.get(business=business)
    assert (settings.mx_hosts, settings.trusted_authserv_ids) == (
        ["mx1.acmebakery.pl"], ["mx1.acmebakery.pl"])
    response = business_post(client, business, corpus("genuine-pass.eml"))
    assert ">Authentic</span>" in response.content.decode()


def test_staff_check_and_see_only_their_own_checks_and_not_the_settings(client, bakery):
    business, owner = bakery
    staff = make_user()
    Membership.objects.create(business=business, user=staff, role=Membership.Role.STAFF)
    sign_in(client, owner)
    business_post(client, business, corpus("genuine-pass.eml"))
    owners_check = CheckedMessage.objects.get()
    client.logout()
    sign_in(client, staff)
    assert business_post(client, business,
                         corpus("spoofed-display-address.eml")).status_code == 200
    page = client.get(reverse("mailcheck:history", args=[business.pk])).content.decode()
    assert "Urgent transfer" in page and "Delivery schedule" not in page
    assert client.get(reverse("mailcheck:detail", args=[business.pk, owners_check.pk])) \
        .status_code == 404
    assert client.get(reverse("mailcheck:settings", args=[business.pk])).status_code == 404


def test_an_advisor_with_consent_may_check_for_the_business(client, bakery):
    business, _ = bakery
    advisor = make_advisor(make_programme())
    give_access(business, advisor)
    sign_in(client, advisor)
    response = business_post(client, business, corpus("genuine-pass.eml"))
    assert response.status_code == 200
    assert CheckedMessage.objects.get().checked_by == advisor


def test_another_business_gets_404_everywhere(client, bakery):
    business, owner = bakery
    sign_in(client, owner)
    business_post(client, business, corpus("genuine-pass.eml"))
    checked = CheckedMessage.objects.get()
    other_owner = make_user()
    other = make_business(owner=other_owner)
    client.logout()
    sign_in(client, other_owner)
    for name, args in [("business-check", [business.pk]), ("history", [business.pk]),
                       ("settings", [business.pk]), ("detail", [business.pk, checked.pk]),
                       ("detail", [other.pk, checked.pk])]:
        url = reverse(f"mailcheck:{name}", args=args)
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"source": "From: a@b.example\n"}).status_code == 404, url
    assert CheckedMessage.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in_for_a_business(client, bakery):
    business, _ = bakery
    response = client.get(reverse("mailcheck:business-check", args=[business.pk]))
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]


def test_the_public_page_offers_a_signed_in_owner_their_businesses_checker(client, bakery):
    business, owner = bakery
    sign_in(client, owner)
    page = client.get(reverse("mailcheck:check")).content.decode()
    assert reverse("mailcheck:business-check", args=[business.pk]) in page


# --- forwarders and mailing lists whose ARC seal the business trusts ---------------------------


@cache
def list_key() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    return private, public


def list_message() -> tuple[bytes, dict]:
    """As tests/mail/test_authcheck.py's `_list_message()`: supplier.test signs (DMARC
    p=reject), the list lists.test tags the subject (which breaks the signature), seals an
    intact ARC chain and delivers to mx.florist.test. Only the seal can explain the failure."""
    private, public = list_key()
    original = (b"From: Anna <anna@supplier.test>\r\nTo: Ewa <ewa@florist.test>\r\n"
                b"Subject: Invoice November\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
                b"Message-ID: <1@supplier.test>\r\n\r\nThe invoice is attached.\r\n")
    original = dkim.sign(original, b"s1", b"supplier.test", private,
                         include_headers=[b"from", b"to", b"subject", b"date"]) + original
    seen = (b"Authentication-Results: lists.test; dkim=pass header.d=supplier.test; "
            b"spf=pass smtp.mailfrom=supplier.test; dmarc=pass header.from=supplier.test\r\n"
            + original.replace(b"Subject: Invoice", b"Subject: [team] Invoice"))
    sealed = b"".join(dkim.arc_sign(seen, b"l1", b"lists.test", private, b"lists.test",
                                    timestamp=1795000000)) + seen
    delivered = (b"Return-Path: <team-bounces@lists.test>\r\n"
                 b"Received: from mail.lists.test (mail.lists.test [192.0.2.80]) by "
                 b"mx.florist.test with ESMTPS id 1; Tue, 24 Nov 2026 10:00:02 +0000\r\n"
                 + sealed)
    zone = {("supplier.test", "TXT"): ["v=spf1 ip4:192.0.2.25 -all"],
            ("s1._domainkey.supplier.test", "TXT"): [f"v=DKIM1; k=rsa; p={public}"],
            ("_dmarc.supplier.test", "TXT"): ["v=DMARC1; p=reject"],
            ("lists.test", "TXT"): ["v=spf1 ip4:192.0.2.80 -all"],
            ("l1._domainkey.lists.test", "TXT"): [f"v=DKIM1; k=rsa; p={public}"]}
    return delivered, zone


@pytest.fixture
def list_dns(settings, monkeypatch) -> bytes:
    """The site's resolver answers from the list message's zone; returns the message."""
    settings.CYBERBASICS_NAMESERVERS = ["127.0.0.1:5399"]
    data, zone = list_message()
    monkeypatch.setattr(checking, "DnsClient", lambda *a, **k: ZoneDns(zone))
    return data


def florist(sealers: list[str]):
    owner = make_user()
    business = make_business("Florist", owner=owner)
    Domain.objects.create(business=business, name="florist.test")
    MailSettings.objects.create(business=business, mx_hosts=["mx.florist.test"],
                                trusted_arc_sealers=sealers)
    return business, owner


def test_only_a_business_trusting_the_list_has_its_failure_excused(client, list_dns):
    trusting, trusting_owner = florist(["lists.test"])
    wary, wary_owner = florist([])
    sign_in(client, trusting_owner)
    response = business_post(client, trusting, list_dns)
    assert ">Unknown</span>" in response.content.decode()
    assert {"arc_valid", "arc_forwarded"} <= set(reasons_on(response))
    assert "arc_untrusted_sealer" not in reasons_on(response)
    client.logout()
    sign_in(client, wary_owner)
    response = business_post(client, wary, list_dns)
    assert ">Suspicious</span>" in response.content.decode()
    assert "arc_untrusted_sealer" in reasons_on(response)
    assert "arc_forwarded" not in reasons_on(response)
    kept = dict(CheckedMessage.objects.values_list("business", "verdict"))
    assert kept == {trusting.pk: "unknown", wary.pk: "suspicious"}
    assert not Correspondent.objects.exists()  # neither verdict teaches a contact


def test_a_sealer_saved_in_the_settings_is_used_from_the_next_check(client, list_dns):
    business, owner = florist([])
    sign_in(client, owner)
    assert "arc_untrusted_sealer" in reasons_on(business_post(client, business, list_dns))
    saved = client.post(reverse("mailcheck:settings", args=[business.pk]), {
        "mx_hosts": "mx.florist.test", "trusted_authserv_ids": "",
        "trusted_arc_sealers": "lists.test"})
    assert saved.status_code == 302
    assert "arc_forwarded" in reasons_on(business_post(client, business, list_dns))


def test_the_public_form_takes_the_trusted_list_for_one_check(client, list_dns):
    common = {"source": list_dns.decode(), "mx_hosts": "mx.florist.test"}
    trusting = public_post(client, trusted_arc_sealers="lists.test", **common)
    assert "arc_forwarded" in reasons_on(trusting)
    assert ">Unknown</span>" in trusting.content.decode()
    wary = public_post(client, **common)
    assert "arc_untrusted_sealer" in reasons_on(wary)
    assert ">Suspicious</span>" in wary.content.decode()
    assert not CheckedMessage.objects.exists()


def test_the_owner_saves_trusted_lists_and_sees_them_again(client):
    owner = make_user()
    business = make_business(owner=owner)
    sign_in(client, owner)
    url = reverse("mailcheck:settings", args=[business.pk])
    page = client.get(url).content.decode()
    assert "Forwarding services and mailing lists you use" in page
    assert "only list services you use" in page
    saved = client.post(url, {"mx_hosts": "", "trusted_authserv_ids": "",
                              "trusted_arc_sealers": "Lists.Example.COM.\n"
                                                     "news@googlegroups.com\n"
                                                     "lists.example.com"})
    assert saved.status_code == 302
    settings = MailSettings.objects.get(business=business)
    assert settings.trusted_arc_sealers == ["lists.example.com", "googlegroups.com"]
    assert settings.mx_hosts == [] and settings.trusted_authserv_ids == []
    assert "lists.example.com\ngooglegroups.com" in client.get(url).content.decode()
    event = AuditEvent.objects.filter(action="mailcheck.settings_changed").get()
    assert event.business == business
    assert event.detail["trusted_arc_sealers"] == ["lists.example.com", "googlegroups.com"]
    assert export_data(business)["settings"]["trusted_arc_sealers"] == [
        "lists.example.com", "googlegroups.com"]


@pytest.mark.parametrize(("typed", "error"), [
    ("lists.example.com\nbad_name.example", "“bad_name.example” is not a domain name"),
    ("192.0.2.80", "“192.0.2.80” is not a domain name"),
    ("localhost", "“localhost” is not a domain name"),
    ("co.uk", "“co.uk” is shared by many unrelated owners"),
    ("\n".join(f"list{i}.example.com" for i in range(11)), "Give at most 10 names."),
])
def test_a_trusted_list_that_is_no_domain_is_a_clear_error(client, typed, error):
    owner = make_user()
    business = make_business(owner=owner)
    MailSettings.objects.create(business=business, trusted_arc_sealers=["old.example.com"])
    sign_in(client, owner)
    response = client.post(reverse("mailcheck:settings", args=[business.pk]), {
        "mx_hosts": "", "trusted_authserv_ids": "", "trusted_arc_sealers": typed})
    assert response.status_code == 200
    page = response.content.decode()
    assert html.escape(error, quote=True) in page
    assert html.escape(typed.splitlines()[0]) in page  # what was typed stays in the box
    assert MailSettings.objects.get(business=business).trusted_arc_sealers == [
        "old.example.com"]


def test_a_bad_trusted_list_on_the_public_form_opens_the_advanced_fields(client):
    response = public_post(client, source="From: a@b.example\n",
                           trusted_arc_sealers="not_a.domain!")
    page = response.content.decode()
    assert "is not a domain name" in page and 'id="verdict"' not in page
    assert '<details class="advanced" open>' in page
