"""web.sensitive_files against lab websites: exposed files, soft 404s, HTTPS, errors."""

from __future__ import annotations

import json

import pytest

from cyberbasics.lab import services as lab
from cyberbasics.lab.ca import LabCA
from cyberbasics.lab.web import LabWebServer, Response, Site
from cyberbasics.net.http import Fetched
from cyberbasics.scan.evidence.sensitive_files import (
    PATHS,
    SensitiveFilesView,
    looks_like_html,
    recognise,
    site_to_probe,
)
from cyberbasics.scan.evidence.web import PageVisit, WebView

from .helpers import active_lab, findings, new_address, records_for

CHECK = ("web.sensitive_files",)


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return LabCA.create(tmp_path_factory.mktemp("files-ca"))


async def scan_site(tmp_path, factory, *, https=False, **settings):
    web = new_address()
    port = 443 if https else 80
    records = records_for("shop.com", apex=[web], www=[web])
    async with active_lab(tmp_path, "shop.com", records, {web: {port: factory}},
                          checks=CHECK, **settings) as (services, config):
        found = await findings(config, "shop.com")
        server = services.server(web, port)
    return found["web.sensitive_files"], server


async def test_exposed_files_fail_without_their_secrets_in_the_evidence(tmp_path):
    finding, server = await scan_site(
        tmp_path, lab.website(lab.exposed_files_routes("shop.com"), name="shop.com"))
    assert (str(finding.status), finding.result) == ("fail", "readable")
    assert finding.severity == "high"
    for path in ("/.git/HEAD", "/.env", "/shop.com.zip"):
        assert f"http://shop.com{path}" in finding.summary
    assert "ref: refs/heads/main" in finding.summary
    assert "DB_PASSWORD" in finding.summary  # the names of the settings ...
    text = json.dumps(finding.evidence) + finding.summary
    assert "lab-not-a-secret" not in text and "lab-fake-key" not in text  # ... not the values
    # One GET per path plus the made-up control address; no redirect followed.
    gets = [r.target for r in server.requests if r.target != "/"]
    assert len(gets) == len(PATHS) + 1 and all(r.host == "shop.com" for r in server.requests)


async def test_a_site_answering_every_address_with_a_page_is_not_reported(tmp_path):
    finding, _ = await scan_site(tmp_path, lab.website(
        {"/": Response.text("<html>shop</html>", content_type="text/html")},
        name="shop.com", soft_404=True))
    assert (str(finding.status), finding.result) == ("pass", "ok")
    notes = {p["path"]: p.get("note") for p in finding.evidence["paths"]}
    assert all(p["status"] == 200 for p in finding.evidence["paths"])
    assert "HTML page" in notes["/.git/HEAD"] and "HTML page" in notes["/.env"]


class PlainCatchAll(LabWebServer):
    """Every address answers 200 with the same plain text, which looks like settings."""

    def route(self, request):
        return "shop.com", Response.text("STATUS=not-found\nCODE=404\n")


async def test_a_catch_all_that_looks_like_a_file_matches_the_control_and_is_ignored(tmp_path):
    finding, _ = await scan_site(tmp_path, lambda h, p: PlainCatchAll(
        {"shop.com": Site()}, host=h, port=p))
    assert (str(finding.status), finding.result) == ("pass", "ok")
    env = next(p for p in finding.evidence["paths"] if p["path"] == "/.env")
    assert env["note"] == "the same answer as for a made-up address"


async def test_files_on_an_https_site(tmp_path, ca):
    finding, server = await scan_site(
        tmp_path, lab.website(lab.exposed_files_routes("shop.com"), name="shop.com", tls=ca),
        https=True, ca_file=ca.cert_path)
    assert (str(finding.status), finding.result) == ("fail", "readable")
    assert "https://shop.com/.git/HEAD" in finding.summary
    assert {r.sni for r in server.requests} == {"shop.com"}


async def test_a_failing_site_is_could_not_check(tmp_path):
    class Broken(LabWebServer):
        def route(self, request):
            if request.path == "/":
                return "shop.com", Response.text("<html>home</html>", content_type="text/html")
            return "shop.com", Response.text("busy", status=503)

    finding, _ = await scan_site(tmp_path, lambda h, p: Broken({"shop.com": Site()},
                                                               host=h, port=p))
    assert (str(finding.status), finding.result) == ("error", "could-not-check")
    assert "HTTP 503" in finding.summary


async def test_a_silent_site_is_could_not_check(tmp_path):
    finding, _ = await scan_site(tmp_path, lab.silent(), timeout=0.2)
    assert (str(finding.status), finding.result) == ("error", "could-not-check")


def _visit(url, status=200, kind="ok"):
    return PageVisit(url, (Fetched(url, status if kind == "ok" else None, kind=kind),))


def test_which_site_is_probed():
    home = _visit("https://www.shop.com/")
    view = WebView(home, (_visit("https://shop.com/", kind="tls"), home), None)
    assert site_to_probe("shop.com", view) == ("https", "www.shop.com")
    moved = _visit("https://shop.other-host.com/")
    other = site_to_probe("shop.com", WebView(moved, (moved,), None))
    assert isinstance(other, SensitiveFilesView) and other.other_host == "shop.other-host.com"
    gone = _visit("https://shop.com/", kind="no_address")
    absent = site_to_probe("shop.com", WebView(None, (gone, gone),
                                               Fetched("http://shop.com/", kind="no_address")))
    assert absent.no_website


def test_a_www_only_plain_http_site_is_probed_on_www():
    # http://shop.com/ has no address, so the website evidence fetched http://www.shop.com/.
    gone = _visit("https://shop.com/", kind="no_address")
    refused = _visit("https://www.shop.com/", kind="refused")
    view = WebView(None, (gone, refused), Fetched("http://www.shop.com/", 200))
    assert site_to_probe("shop.com", view) == ("http", "www.shop.com")
    view = WebView(None, (gone, refused), Fetched("http://shop.com/", 200))
    assert site_to_probe("shop.com", view) == ("http", "shop.com")


async def test_a_www_only_plain_http_site_is_checked(tmp_path):
    web = new_address()
    records = records_for("shop.com", www=[web])  # no address for shop.com itself
    factory = lab.website(lab.exposed_files_routes("shop.com"), name="www.shop.com")
    async with active_lab(tmp_path, "shop.com", records, {web: {80: factory}},
                          checks=CHECK) as (_, config):
        found = await findings(config, "shop.com")
    finding = found["web.sensitive_files"]
    assert (str(finding.status), finding.result) == ("fail", "readable"), finding.summary
    assert finding.evidence["site"] == "http://www.shop.com"


@pytest.mark.parametrize(("kind", "body", "expected"), [
    ("git-head", b"ref: refs/heads/master\n", "ref: refs/heads/master"),
    ("git-head", b"3f786850e387550fdab836ed7e6dc881de23001b\n", "a commit id (detached HEAD)"),
    ("git-head", b"<!doctype html><title>404</title>ref: refs/heads/main", None),
    ("git-config", b"[core]\n\trepositoryformatversion = 0\n\tbare = false\n", "a Git"),
    ("env", b"# settings\nAPP_KEY=base64:abc\nexport DB_PASSWORD = x\n", "2 KEY=VALUE"),
    ("env", b"<html><body>APP_KEY=1\nB=2</body></html>", None),
    ("env", b"just one line of text\nA=1\nand more text\n", None),
    ("archive", b"\x1f\x8b\x08\x00" + b"\x00" * 20, "a gzip archive"),
    ("archive", b"\x00" * 257 + b"ustar\x0000", "a tar archive"),
    ("archive", b"PKZIP is a program", None),
    ("php-source", b"<?php\ndefine('DB_PASSWORD', 'x');", "PHP source code with database"),
    ("htpasswd", b"admin:$apr1$abc$def\nbob:{SHA}xyz=\n", "2 user:password-hash lines"),
    ("htpasswd", b"admin:password\n", None),
    ("sql", b"-- MySQL dump 10.13\nCREATE TABLE `users` (\n", "SQL statements"),
    ("sql", b"<html>CREATE TABLE</html>", None),
    ("ds-store", b"\x00\x00\x00\x01Bud1\x00\x00", "a .DS_Store index"),
])
def test_recognisers(kind, body, expected):
    found = recognise(kind, body)
    assert (found is None) if expected is None else (found and found.startswith(expected))


def test_html_is_recognised_as_html():
    assert looks_like_html(b"\xef\xbb\xbf  <!DOCTYPE html><html>")
    assert looks_like_html(b"<html>") and not looks_like_html(b"ref: refs/heads/main")
