"""Domains: added as the core reads targets (URLs and addresses reduced to the domain, IDNA,
IP addresses and private names refused), at most ten, removed with an audit trail, and
verified by a DNS TXT record or a file on the website (checked against a small lab of our
own), or by an advisor recording the owner's written consent."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest
from django.urls import reverse

from cyberbasics.config import ScanConfig
from cyberbasics.lab.ca import LabCA
from cyberbasics.lab.dns_server import LabDnsServer
from cyberbasics.lab.web import LabWebServer, Response, Site
from cyberbasics.lab.world import txt
from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses import services
from cyberbasics.web.businesses.models import AdvisorAccess, Business, Domain, Membership
from cyberbasics.web.businesses.verification import FILE_PATH, check_ownership
from cyberbasics.web.programmes.testing import make_user

pytestmark = pytest.mark.django_db

WEB = "127.0.40.1"


def make_business(name="Bakery", domains=()):
    business = Business.objects.create(name=name, country="GB", time_zone="Europe/London")
    for domain in domains:
        Domain.objects.create(business=business, name=domain)
    return business


def member(business, role=Membership.Role.OWNER):
    user = make_user()
    Membership.objects.create(business=business, user=user, role=role)
    return user


def advisor_of(business):
    user = make_user()
    AdvisorAccess.objects.create(business=business, advisor=user, consent="in writing")
    return user


def sign_in(client, user):
    from cyberbasics.web.accounts.testing import sign_in_with_second_factor

    return sign_in_with_second_factor(client, user)


@pytest.fixture
def bakery():
    return make_business()


@pytest.fixture
def owner_client(client, bakery):
    client.force_login(member(bakery))
    return client


# --- a small lab: DNS with our TXT records, a website with our files ----------------------

def _file(token: str) -> Response:
    return Response.text(f"# Cyber Basics\ncyberbasics-verification={token}\n")


RECORDS = {
    "_cyberbasics.dns-ok.test": [txt("cyberbasics-verification=tok-dns")],
    "_cyberbasics.dns-wrong.test": [txt("cyberbasics-verification=someone-else")],
    **{name: [("A", WEB)] for name in ("dns-ok.test", "dns-wrong.test", "file-ok.test",
                                       "http-only.test", "redirect.test", "www.redirect.test",
                                       "nothing.test", "wrong-file.test")},
}
HTTPS_SITES = {
    "file-ok.test": Site(routes={FILE_PATH: _file("tok-file")}),
    "redirect.test": Site(redirect_to="https://www.redirect.test"),
    "www.redirect.test": Site(routes={FILE_PATH: _file("tok-redirect")}),
    "nothing.test": Site(routes={"/": Response.text("hello")}),
    "wrong-file.test": Site(routes={FILE_PATH: Response.text("something else\n")}),
}
HTTP_SITES = {
    "http-only.test": Site(routes={FILE_PATH: _file("tok-http")}),
    "nothing.test": Site(routes={"/": Response.text("hello")}),
}


@pytest.fixture(scope="module")
def verify_lab(tmp_path_factory):
    """The lab's servers in a background event loop (the checks run their own), and the
    configuration that reaches them."""
    ready, holder = threading.Event(), {}
    loop = asyncio.new_event_loop()

    async def serve():
        ca = LabCA.create(tmp_path_factory.mktemp("verify-ca"))
        async with contextlib.AsyncExitStack() as stack:
            dns = await stack.enter_async_context(LabDnsServer.from_records(RECORDS))
            https = await stack.enter_async_context(
                LabWebServer(HTTPS_SITES, host=WEB, tls=ca, default_site="nothing.test"))
            http = await stack.enter_async_context(LabWebServer(HTTP_SITES, host=WEB))
            holder["config"] = ScanConfig(nameservers=(dns.address,), ca_file=ca.cert_path,
                                          lab=True, timeout=2.0,
                                          port_map={443: https.port, 80: http.port})
            holder["stop"] = asyncio.Event()
            ready.set()
            await holder["stop"].wait()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert ready.wait(30), "the verification lab did not start"
    yield holder["config"]
    loop.call_soon_threadsafe(holder["stop"].set)
    thread.join(10)


@pytest.fixture
def lab_checks(verify_lab, monkeypatch):
    monkeypatch.setattr(services, "scan_config", lambda active=False: verify_lab)
    return verify_lab


def domain_with_token(business, name, token):
    return Domain.objects.create(business=business, name=name, token=token)


# --- reading what people type -------------------------------------------------------------

@pytest.mark.parametrize(("typed", "domain", "changed"), [
    ("mybakery.co.uk", "mybakery.co.uk", False),
    ("  MyBakery.CO.UK. ", "mybakery.co.uk", False),
    ("https://www.mybakery.co.uk/shop?x=1", "mybakery.co.uk", True),
    ("anna@mybakery.co.uk", "mybakery.co.uk", True),
    ("www.mybakery.co.uk", "mybakery.co.uk", True),
    ("bäckerei-müller.de", "xn--bckerei-mller-bfb28a.de", True),
    ("shop.bakery.example", "shop.bakery.example", False),  # the lab's names, in lab mode
])
def test_domains_are_normalised_as_the_scanner_reads_them(typed, domain, changed):
    assert services.normalise_domain(typed) == (domain, changed)


@pytest.mark.parametrize(("typed", "reason"), [
    ("192.0.2.10", "IP address"),
    ("http://[2001:db8::1]/", "IP address"),
    ("localhost", "not a domain name"),
    ("printer.local", "private or reserved"),
    ("nas.home.arpa", "private or reserved"),
    ("files.internal", "private or reserved"),
    ("shop.lan", "private or reserved"),
    ("example.com", "private or reserved"),
    ("co.uk", "shared by many owners"),
    ("not a domain", "not a domain name"),
    ("", "not a domain name"),
])
def test_addresses_and_private_names_are_refused_with_a_reason(typed, reason):
    with pytest.raises(services.DomainError, match=reason):
        services.normalise_domain(typed)


def test_lab_names_are_refused_outside_the_lab(monkeypatch, settings):
    monkeypatch.setenv("CYBERBASICS_LAB", "0")
    settings.CYBERBASICS_LAB_STATE = ""
    with pytest.raises(services.DomainError, match="private or reserved"):
        services.normalise_domain("bakery.example")
    with pytest.raises(services.DomainError, match="private or reserved"):
        services.normalise_domain("site.test")


# --- adding and removing ------------------------------------------------------------------

def test_owner_adds_a_domain_from_a_web_address(owner_client, bakery):
    url = reverse("businesses:domains", args=[bakery.pk])
    response = owner_client.post(url, {"domain": "https://www.bakery.example/menu"},
                                 follow=True)
    assert response.status_code == 200
    domain = bakery.domains.get()
    assert domain.name == "bakery.example" and not domain.verified and domain.token
    text = response.content.decode()
    assert "taken from what you typed" in text and "not verified" in text
    event = AuditEvent.objects.get(action="domain.added")
    assert event.business == bakery and event.detail["domain"] == "bakery.example"


def test_a_refused_domain_shows_why(owner_client, bakery):
    response = owner_client.post(reverse("businesses:domains", args=[bakery.pk]),
                                 {"domain": "10.0.0.1"})
    assert response.status_code == 200
    assert "is an IP address" in response.content.decode()
    assert not bakery.domains.exists()


def test_a_domain_is_added_once(owner_client, bakery):
    url = reverse("businesses:domains", args=[bakery.pk])
    owner_client.post(url, {"domain": "bakery.example"})
    response = owner_client.post(url, {"domain": "BAKERY.example"})
    assert "already one of this business" in response.content.decode()
    assert bakery.domains.count() == 1


def test_at_most_ten_domains(owner_client, bakery):
    for number in range(services.MAX_DOMAINS):
        Domain.objects.create(business=bakery, name=f"shop{number}.example")
    url = reverse("businesses:domains", args=[bakery.pk])
    response = owner_client.post(url, {"domain": "one-more.example"})
    assert "at most 10 domains" in response.content.decode()
    assert bakery.domains.count() == services.MAX_DOMAINS
    assert 'name="domain"' not in owner_client.get(url).content.decode()  # no form left


def test_the_same_domain_may_belong_to_two_businesses(client, bakery):
    other = make_business("Bakery's shop", ["bakery.example"])
    client.force_login(member(bakery))
    client.post(reverse("businesses:domains", args=[bakery.pk]), {"domain": "bakery.example"})
    assert bakery.domains.get().name == "bakery.example" and other.domains.count() == 1


def test_owner_removes_a_domain_after_confirming(owner_client, bakery):
    domain = Domain.objects.create(business=bakery, name="bakery.example")
    url = reverse("businesses:domain-remove", args=[bakery.pk, domain.pk])
    page = owner_client.get(url)
    assert page.status_code == 200 and "Remove bakery.example?" in page.content.decode()
    assert bakery.domains.exists()
    response = owner_client.post(url)
    assert response.headers["Location"] == reverse("businesses:domains", args=[bakery.pk])
    assert not bakery.domains.exists()
    assert AuditEvent.objects.get(action="domain.removed").detail["domain"] == "bakery.example"


def test_an_advisor_with_access_adds_domains(client, bakery):
    sign_in(client, advisor_of(bakery))
    url = reverse("businesses:domains", args=[bakery.pk])
    client.post(url, {"domain": "bakery.example"})
    assert bakery.domains.count() == 1


# --- the verification page ----------------------------------------------------------------

def test_verification_page_shows_both_ways_with_copy_buttons(owner_client, bakery):
    domain = domain_with_token(bakery, "bakery.example", "tok-123")
    page = owner_client.get(reverse("businesses:domain-verify", args=[bakery.pk, domain.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "_cyberbasics.bakery.example" in text
    assert "cyberbasics-verification=tok-123" in text
    assert "https://bakery.example/.well-known/cyberbasics-verification.txt" in text
    for element in ("txt-name", "txt-value", "file-url", "file-line"):
        assert f'id="{element}"' in text and f'data-copy="{element}"' in text
    assert "Check now" in text
    assert "written consent" not in text  # only advisors record consent
    assert "onclick" not in text and "<script>" not in text


def test_check_now_verifies_by_the_dns_record(owner_client, bakery, lab_checks):
    domain = domain_with_token(bakery, "dns-ok.test", "tok-dns")
    url = reverse("businesses:domain-verify", args=[bakery.pk, domain.pk])
    response = owner_client.post(url, follow=True)
    domain.refresh_from_db()
    assert domain.verified and domain.verified_by == Domain.Method.DNS
    assert domain.last_checked_at and domain.last_check_error == ""
    assert "is verified" in response.content.decode()
    event = AuditEvent.objects.get(action="domain.verified")
    assert event.detail == {"domain": "dns-ok.test", "method": "dns"}


@pytest.mark.parametrize(("name", "token"), [("file-ok.test", "tok-file"),
                                             ("http-only.test", "tok-http"),
                                             ("redirect.test", "tok-redirect")])
def test_check_now_verifies_by_the_file(owner_client, bakery, lab_checks, name, token):
    domain = domain_with_token(bakery, name, token)
    owner_client.post(reverse("businesses:domain-verify", args=[bakery.pk, domain.pk]))
    domain.refresh_from_db()
    assert domain.verified_by == Domain.Method.FILE, domain.last_check_error


@pytest.mark.parametrize(("name", "expected"), [
    ("nothing.test", ["no TXT record at _cyberbasics.nothing.test",
                      "cyberbasics-verification.txt does not exist"]),
    ("dns-wrong.test", ["holds “cyberbasics-verification=someone-else”"]),
    ("wrong-file.test", ["exists but does not hold this domain's code"]),
    ("nowhere.test", ["no TXT record", "could not reach", "has no address"]),
])
def test_failed_checks_say_why(owner_client, bakery, lab_checks, name, expected):
    domain = domain_with_token(bakery, name, "tok-mine")
    url = reverse("businesses:domain-verify", args=[bakery.pk, domain.pk])
    response = owner_client.post(url, follow=True)
    domain.refresh_from_db()
    assert not domain.verified and domain.last_checked_at
    for words in expected:
        assert words in domain.last_check_error
    text = response.content.decode().replace("&#x27;", "'")
    assert "is not verified yet" in text
    assert domain.last_check_error.splitlines()[0] in text
    assert not AuditEvent.objects.filter(action="domain.verified").exists()


def test_both_methods_are_checked_together(verify_lab):
    outcome = asyncio.run(check_ownership("nothing.test", "tok", verify_lab))
    assert not outcome.verified
    assert [p.code for p in outcome.problems] == ["dns_missing", "file_missing"]
    assert asyncio.run(check_ownership("dns-ok.test", "tok-dns", verify_lab)).method == "dns"


def test_check_without_configuration_says_so(owner_client, bakery, settings):
    settings.CYBERBASICS_LAB_STATE = ""
    settings.CYBERBASICS_NAMESERVERS = []
    domain = domain_with_token(bakery, "dns-ok.test", "tok-dns")
    owner_client.post(reverse("businesses:domain-verify", args=[bakery.pk, domain.pk]))
    domain.refresh_from_db()
    assert not domain.verified and "not set up" in domain.last_check_error


# --- an advisor's record of consent -------------------------------------------------------

def test_an_advisor_records_the_owners_written_consent(client, bakery):
    domain = Domain.objects.create(business=bakery, name="bakery.example")
    sign_in(client, advisor_of(bakery))
    verify = reverse("businesses:domain-verify", args=[bakery.pk, domain.pk])
    assert "written consent" in client.get(verify).content.decode()
    url = reverse("businesses:domain-consent", args=[bakery.pk, domain.pk])
    empty = client.post(url, {"consent": "   "})
    assert empty.status_code == 400 and "consent" in empty.content.decode()
    domain.refresh_from_db()
    assert not domain.verified
    response = client.post(url, {"consent": "E-mail from Anna (owner), 3 May 2026"})
    assert response.status_code == 302
    domain.refresh_from_db()
    assert domain.verified_by == Domain.Method.CONSENT
    assert domain.consent_note == "E-mail from Anna (owner), 3 May 2026"
    event = AuditEvent.objects.get(action="domain.consent_recorded")
    assert event.detail["domain"] == "bakery.example"
    assert "E-mail from Anna" in client.get(verify).content.decode()


def test_an_owner_cannot_record_consent(owner_client, bakery):
    domain = Domain.objects.create(business=bakery, name="bakery.example")
    url = reverse("businesses:domain-consent", args=[bakery.pk, domain.pk])
    assert owner_client.post(url, {"consent": "I agree"}).status_code == 404
    domain.refresh_from_db()
    assert not domain.verified


# --- who may see and do what --------------------------------------------------------------

def _urls(business, domain):
    return {
        "domains": ("get", reverse("businesses:domains", args=[business.pk])),
        "add": ("post", reverse("businesses:domains", args=[business.pk])),
        "remove": ("post", reverse("businesses:domain-remove", args=[business.pk, domain.pk])),
        "verify": ("get", reverse("businesses:domain-verify", args=[business.pk, domain.pk])),
        "check": ("post", reverse("businesses:domain-verify", args=[business.pk, domain.pk])),
        "consent": ("post", reverse("businesses:domain-consent",
                                    args=[business.pk, domain.pk])),
    }


VIEWS = ["domains", "add", "remove", "verify", "check", "consent"]


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_visitors_are_sent_to_sign_in(client, bakery, view):
    domain = Domain.objects.create(business=bakery, name="bakery.example")
    method, url = _urls(bakery, domain)[view]
    response = getattr(client, method)(url, {"domain": "x.example", "consent": "yes"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))
    domain.refresh_from_db()
    assert bakery.domains.count() == 1 and not domain.verified


@pytest.mark.parametrize("view", VIEWS)
def test_other_businesses_and_their_advisors_get_404(client, bakery, view):
    domain = Domain.objects.create(business=bakery, name="bakery.example")
    other = make_business("Plumber", ["plumber.example"])
    method, url = _urls(bakery, domain)[view]
    data = {"domain": "x.example", "consent": "yes"}
    client.force_login(member(other))
    assert getattr(client, method)(url, data).status_code == 404
    sign_in(client, advisor_of(other))
    assert getattr(client, method)(url, data).status_code == 404
    if view not in ("domains", "add"):  # the bakery's domain through the plumber's address
        other_domain_url = _urls(other, domain)[view][1]
        client.force_login(member(other))
        assert getattr(client, method)(other_domain_url, data).status_code == 404
    domain.refresh_from_db()
    assert bakery.domains.count() == 1 and not domain.verified


@pytest.mark.parametrize("view", VIEWS)
def test_staff_members_get_404(client, bakery, view):
    domain = Domain.objects.create(business=bakery, name="bakery.example")
    client.force_login(member(bakery, Membership.Role.STAFF))
    method, url = _urls(bakery, domain)[view]
    assert getattr(client, method)(url, {"domain": "x.example"}).status_code == 404
    assert bakery.domains.count() == 1


def test_an_advisor_whose_access_was_revoked_gets_404(client, bakery):
    from django.utils import timezone

    domain = Domain.objects.create(business=bakery, name="bakery.example")
    advisor = advisor_of(bakery)
    AdvisorAccess.objects.filter(advisor=advisor).update(revoked_at=timezone.now())
    sign_in(client, advisor)
    assert client.get(reverse("businesses:domain-verify",
                              args=[bakery.pk, domain.pk])).status_code == 404
