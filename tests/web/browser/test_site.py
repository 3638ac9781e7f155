"""The browser tests' own machinery: the site runs the real app against the lab, its
worker takes tasks from the same database, and `site.django` reaches that database."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_the_site_scans_the_lab_running_in_this_process(site, world):
    nameservers = site.django(
        "from cyberbasics.web.scanning import scan_config\n"
        "config = scan_config()\n"
        "result = {'nameservers': [list(n) for n in config.nameservers], 'lab': config.lab,"
        " 'ports': {str(k): v for k, v in config.port_map.items()}}")
    assert nameservers == {"nameservers": [[world.dns.host, world.dns.port]], "lab": True,
                           "ports": {str(k): v for k, v in world.port_map.items()}}


def test_site_django_shares_the_servers_database(site):
    email = "shared-database@example.com"
    user_id = site.create_user(email, name="Sam Shared")
    business_id = site.create_business(email, "Shared Bakery", domains=("bakery.example",))
    assert site.django(
        "from cyberbasics.web.businesses.models import Business\n"
        "business = Business.objects.get(pk=args['pk'])\n"
        "result = [business.name, [d.name for d in business.domains.all()],"
        " [m.user_id for m in business.memberships.all()]]",
        pk=business_id) == ["Shared Bakery", ["bakery.example"], [user_id]]
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        site.django("result = 1 / 0")


def test_the_worker_takes_tasks_from_the_sites_database(site_with_worker):
    status = site_with_worker.django(
        "import time\n"
        "from cyberbasics.web.reviews.tasks import run_scan\n"
        "result = run_scan.enqueue(0)\n"  # no such scan: the task ends at once, either way
        "deadline = time.monotonic() + 20\n"
        "while result.status.name in ('READY', 'RUNNING') and time.monotonic() < deadline:\n"
        "    time.sleep(0.1)\n"
        "    result.refresh()\n"
        "result = result.status.name")
    assert status in ("SUCCESSFUL", "FAILED"), site_with_worker.logs()


def test_the_mail_the_site_sends_arrives_in_its_mailbox(site):
    from .server import links_in, text_of

    site.django("from django.core.mail import send_mail\n"
                "send_mail('Your link', 'Open https://cyberbasics.test/m/abc?x=1. It works today.',"
                " None, [args['to']])", to="Mia.Mail@example.com")
    message = site.mailbox.wait_for("mia.mail@example.com")
    assert message["Subject"] == "Your link"
    assert "today" in text_of(message)
    assert links_in(message) == ["https://cyberbasics.test/m/abc?x=1"]
    with pytest.raises(AssertionError, match=re.escape("no message 2 to mia.mail@example.com")):
        site.mailbox.wait_for("mia.mail@example.com", count=2, timeout=0.3)
