"""The shipped dataset holds to its rules, and loading merges the user's updated copy."""

import json
import re

import pytest

from cyberbasics.scan.software import PRODUCTS, SoftwareSeen
from cyberbasics.vulns import dataset as ds
from cyberbasics.vulns.versions import parse_version

SHIPPED = json.loads(ds.shipped_text())


def test_the_shipped_file_has_a_date_sources_and_entries():
    assert SHIPPED["format"] == ds.FORMAT
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", SHIPPED["date"])
    assert SHIPPED["sources"] and all(s["url"].startswith("https://")
                                      for s in SHIPPED["sources"])
    assert 10 <= len(SHIPPED["entries"]) <= 40
    loaded = ds.load_shipped()
    assert loaded.problems == ()  # every shipped entry validates
    assert len(loaded.entries) == len(SHIPPED["entries"])


@pytest.mark.parametrize("raw", SHIPPED["entries"], ids=lambda e: f"{e['cve']}-{e['product']}")
def test_every_shipped_entry_is_complete(raw):
    assert re.fullmatch(r"CVE-\d{4}-\d{4,}", raw["cve"])
    assert raw["product"] in PRODUCTS
    assert raw["sources"], "an entry without a source must not ship"
    for url in raw["sources"]:
        assert url.startswith("https://")
        # Repository documents are cited at the commit that was read.
        if url.startswith("https://github.com/"):
            assert re.search(r"/blob/[0-9a-f]{40}/", url), url
    assert any("cvelistV5" in u or "kev-data" in u for u in raw["sources"])
    assert raw["fixed_version"].strip() and raw["impact"].strip() and raw["title"].strip()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw["kev_date_added"])
    for affected in raw["affected"]:
        assert set(affected) <= {"introduced", "fixed", "last_affected"}
        assert ("fixed" in affected) != ("last_affected" in affected)  # bounded, one way
        for value in affected.values():
            parse_version(value)
    entry = ds.parse_entry(raw)
    assert entry.affected


def test_no_duplicate_entries():
    keys = [(e["cve"], e["product"]) for e in SHIPPED["entries"]]
    assert len(keys) == len(set(keys))


def test_cve_record_sources_name_the_record_of_the_entry():
    for raw in SHIPPED["entries"]:
        records = [u for u in raw["sources"] if "cvelistV5" in u]
        assert all(u.endswith(f"/{raw['cve']}.json") for u in records), raw["cve"]


def seen(product, version, raw=None, where="https://example.com/ (Server header)"):
    return SoftwareSeen(product, version, where, raw or f"{product}/{version}")


@pytest.mark.parametrize(("product", "version", "expected"), [
    ("apache-httpd", "2.4.49", {"CVE-2021-41773": True, "CVE-2021-42013": True}),
    ("apache-httpd", "2.4.50", {"CVE-2021-42013": True}),
    ("apache-httpd", "2.4.48", {"CVE-2021-40438": True}),
    ("apache-httpd", "2.4.62", {}),
    ("apache-httpd", "2.2.34", {}),
    ("apache-httpd", "2.4", {"CVE-2021-41773": None, "CVE-2021-42013": None,
                             "CVE-2021-40438": None}),
    ("apache-httpd", None, {"CVE-2021-41773": None, "CVE-2021-42013": None,
                            "CVE-2021-40438": None}),
    ("nginx", "1.18.0", {}),
    ("fortinet-fortios", "7.0.16", {"CVE-2024-55591": True}),
    ("fortinet-fortios", "7.0.17", {}),
    ("fortinet-fortios", "7.2.5", {"CVE-2024-21762": True}),
    ("fortinet-fortios", "7.4.3", {}),
    ("ivanti-connect-secure", "9.0R3.3", {"CVE-2019-11510": True}),
    ("ivanti-connect-secure", "9.0R3.4", {}),
    ("ivanti-connect-secure", "22.7R2.5", {}),
    ("citrix-netscaler", "13.1-49.13", {"CVE-2023-4966": True}),
    ("citrix-netscaler", "13.1-49.15", {}),
    ("microsoft-exchange", "15.1.2176.2", {"CVE-2021-34473": True}),  # 2016 CU19, unpatched
    ("microsoft-exchange", "15.1.2176.14", {}),  # CU19 with the update
    ("microsoft-exchange", "15.1.2242.4", {"CVE-2021-34473": True}),  # CU20, unpatched
    ("microsoft-exchange", "15.1.2242", {"CVE-2021-34473": None}),  # from an OWA path
    ("microsoft-exchange", "15.1.2308.8", {}),
    ("drupal", "7", {"CVE-2018-7600": None}),  # the generator tag shows the major only
    ("drupal", "7.57", {"CVE-2018-7600": True}),
    ("drupal", "10", {}),
    ("joomla", "4.2.7", {"CVE-2023-23752": True}),
    ("joomla", "3.9", {}),
    ("exim", "4.91", {"CVE-2019-10149": True}),
    ("exim", "4.92", {}),
    ("proftpd", "1.3.5", {"CVE-2015-3306": True}),
    ("proftpd", "1.3.5a", {}),
    ("microsoft-iis", "6.0", {"CVE-2017-7269": True}),
    ("microsoft-iis", "10.0", {}),
    ("sonicwall-sonicos", "6.5.4.15-116n", {}),
    ("sonicwall-sonicos", "7.0.1-5035", {"CVE-2024-40766": True}),
])
def test_shipped_matches(product, version, expected):
    matches = ds.load_shipped().match(seen(product, version))
    assert {m.entry.cve: m.affected for m in matches} == expected


def test_distribution_builds_and_invisible_fixes_are_never_certain():
    shipped = ds.load_shipped()
    [plain] = shipped.match(seen("apache-httpd", "2.4.48", "Apache/2.4.48 (Unix)"))
    assert plain.certain
    [ubuntu] = shipped.match(seen("apache-httpd", "2.4.48", "Apache/2.4.48 (Ubuntu)"))
    assert ubuntu.affected is True and not ubuntu.certain
    assert ubuntu.to_json()["distribution_build"] == "Ubuntu"
    [iis] = shipped.match(seen("microsoft-iis", "6.0", "Microsoft-IIS/6.0"))
    assert iis.affected is True and not iis.certain


def entry(**changes):
    raw = {"cve": "CVE-2099-0001", "product": "nginx", "title": "Test",
           "affected": [{"introduced": "1.0", "fixed": "1.2"}], "fixed_version": "1.2",
           "impact": "An attacker can test.", "sources": ["https://example.org/advisory"]}
    raw.update(changes)
    return raw


@pytest.mark.parametrize(("changes", "problem"), [
    ({"cve": "CVE-99"}, "bad CVE"),
    ({"product": "nginx-plus"}, "unknown product"),
    ({"affected": []}, "no affected ranges"),
    ({"affected": [{"introduced": "1.2", "fixed": "1.0"}]}, "empty range"),
    ({"affected": [{"introduced": "one"}]}, "not a version"),
    ({"fixed_version": " "}, "no fixed_version"),
    ({"impact": None}, "no impact"),
    ({"sources": []}, "source"),
    ({"sources": ["from memory"]}, "source"),
    ({"kev_date_added": "yesterday"}, "kev_date_added"),
])
def test_an_entry_that_cannot_be_verified_is_left_out(changes, problem):
    document = {"format": ds.FORMAT, "date": "2026-01-02",
                "entries": [entry(), entry(**{"cve": "CVE-2099-0002", **changes})]}
    loaded = ds.parse_dataset(document)
    assert [e.cve for e in loaded.entries] == ["CVE-2099-0001"]
    assert len(loaded.problems) == 1 and problem in loaded.problems[0]


@pytest.mark.parametrize("document", [[], {"format": "other"},
                                      {"format": ds.FORMAT, "entries": []},
                                      {"format": ds.FORMAT, "date": "2026-01-02"}])
def test_a_document_that_is_not_a_dataset_is_refused(document):
    with pytest.raises(ds.DatasetError):
        ds.parse_dataset(document)


def test_the_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CYBERBASICS_DATA_DIR", str(tmp_path / "explicit"))
    assert ds.data_dir() == tmp_path / "explicit"
    monkeypatch.delenv("CYBERBASICS_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert ds.data_dir() == tmp_path / "xdg" / "cyberbasics"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert ds.data_dir() == tmp_path / "home" / ".local" / "share" / "cyberbasics"


def test_without_an_update_the_shipped_dataset_is_used():
    loaded = ds.load_dataset()
    assert loaded.origin == "shipped" and loaded == ds.load_shipped()


def test_an_update_adds_entries_and_never_replaces_shipped_ones(data_dir):
    imported = ds.parse_dataset({"format": ds.FORMAT, "date": "2027-03-04", "entries": [
        entry(),
        entry(cve="CVE-2021-41773", product="apache-httpd", impact="imported text",
              affected=[{"introduced": "0", "fixed": "9.9"}])]}, origin="imported")
    path = ds.save_updated(imported)
    assert path == data_dir / "known_exploited.json"
    loaded = ds.load_dataset()
    assert loaded.date == "2027-03-04" and loaded.origin == "shipped + update of 2027-03-04"
    assert len(loaded.entries) == len(ds.load_shipped().entries) + 1
    [apache] = [e for e in loaded.entries if e.cve == "CVE-2021-41773"]
    assert apache.origin == "shipped" and apache.impact != "imported text"
    assert [m.entry.cve for m in loaded.match(seen("nginx", "1.1"))] == ["CVE-2099-0001"]


def test_a_broken_update_is_reported_and_the_shipped_dataset_used(data_dir):
    data_dir.mkdir()
    (data_dir / "known_exploited.json").write_text("{not json")
    loaded = ds.load_dataset()
    assert loaded.entries == ds.load_shipped().entries
    assert "could not be used" in loaded.problems[-1]


def test_an_exim_greeting_can_only_be_possibly_affected():
    # Debian's exim4 4.89 carries the fixes for both CVEs under the old number, and its
    # greeting shows no distribution marker.
    from cyberbasics.scan.software import SoftwareSeen
    from cyberbasics.vulns.dataset import load_dataset

    seen = SoftwareSeen("exim", "4.89", "mx.shop.example (SMTP greeting)",
                        "mx.shop.example ESMTP Exim 4.89 Wed, 25 Nov 2026 12:00:00 +0000")
    matches = load_dataset().match(seen)
    assert {m.entry.cve for m in matches} >= {"CVE-2019-10149", "CVE-2018-6789"}
    assert all(m.affected and not m.certain for m in matches)
