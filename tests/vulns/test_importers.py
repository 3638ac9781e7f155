"""The KEV and OSV importers on small files in exactly the formats CISA and OSV publish."""

import copy
import io
import json
import zipfile
from pathlib import Path

import pytest

from cyberbasics.vulns import kev, osv
from cyberbasics.vulns.versions import AffectedRange

FIXTURES = Path(__file__).with_name("fixtures")
KEV_FILE = FIXTURES / "kev.json"
OSV_DIR = FIXTURES / "osv"


def kev_document():
    return json.loads(KEV_FILE.read_text())


def test_reads_the_kev_catalogue():
    catalogue = kev.parse_kev(KEV_FILE.read_bytes())
    assert catalogue.version == "2025.02.25" and catalogue.skipped == 0
    assert set(catalogue.entries) == {"CVE-2024-55591", "CVE-2021-40438", "CVE-2021-41773"}
    entry = catalogue.entries["CVE-2021-41773"]
    assert entry.date_added == "2021-11-03" and entry.ransomware == "Known"
    assert entry.name == "Apache HTTP Server Path Traversal Vulnerability"
    assert "CVE-2021-41773" in catalogue and "CVE-2000-0001" not in catalogue


@pytest.mark.parametrize("missing", ["cveID", "dateAdded", "shortDescription", "dueDate"])
def test_a_kev_entry_without_a_required_field_is_skipped(missing):
    document = kev_document()
    del document["vulnerabilities"][0][missing]
    catalogue = kev.parse_kev(json.dumps(document))
    assert catalogue.skipped == 1 and len(catalogue.entries) == 2


@pytest.mark.parametrize("document", [b"not json", b"[]", b'{"vulnerabilities": []}',
                                      b'{"catalogVersion": "1", "dateReleased": "x"}'])
def test_a_document_that_is_not_a_catalogue_is_refused(document):
    with pytest.raises(kev.KevError):
        kev.parse_kev(document)


def test_reads_osv_records():
    record = osv.parse_osv((OSV_DIR / "BIT-apache-2021-41773.json").read_bytes())
    assert record.id == "BIT-apache-2021-41773" and record.cves == ("CVE-2021-41773",)
    [affected] = record.affected
    assert (affected.ecosystem, affected.name) == ("Bitnami", "apache")
    assert affected.ranges == (AffectedRange("2.4.49", last_affected="2.4.49"),)
    assert record.url == "https://osv.dev/vulnerability/BIT-apache-2021-41773"


def test_git_ranges_are_not_read_and_are_counted():
    record = osv.parse_osv((OSV_DIR / "distribution-apache2-example.json").read_text())
    debian, bitnami = record.affected
    assert debian.ranges == (AffectedRange("0", fixed="2.4.51-1"),)  # read, never mapped
    assert bitnami.ranges == () and record.skipped_ranges == 1


@pytest.mark.parametrize(("events", "expected"), [
    ([{"introduced": "0"}, {"fixed": "1.2"}], [AffectedRange("0", fixed="1.2")]),
    ([{"introduced": "2.0"}, {"fixed": "2.1"}, {"introduced": "1.0"}, {"fixed": "1.5"}],
     [AffectedRange("1.0", fixed="1.5"), AffectedRange("2.0", fixed="2.1")]),
    ([{"introduced": "1.0"}], [AffectedRange("1.0")]),
    ([{"introduced": "1.0"}, {"limit": "1.4"}], []),  # a limit names no fix: left out
    ([{"introduced": "1.0"}, {"last_affected": "1.3"}],
     [AffectedRange("1.0", last_affected="1.3")]),
])
def test_osv_events_become_ranges(events, expected):
    record = osv.parse_osv({"id": "X-1", "affected": [
        {"package": {"ecosystem": "Bitnami", "name": "nginx"},
         "ranges": [{"type": "SEMVER", "events": events}]}]})
    assert list(record.affected[0].ranges) == expected


@pytest.mark.parametrize("document", [b"{", b"[]", b'{"affected": []}'])
def test_a_document_that_is_not_an_osv_record_is_refused(document):
    with pytest.raises(osv.OsvError):
        osv.parse_osv(document)


def test_the_import_keeps_known_exploited_cves_in_mapped_packages():
    catalogue = kev.parse_kev(KEV_FILE.read_bytes())
    records = list(osv.read_records([OSV_DIR]))
    assert len(records) == 4
    report = osv.build_dataset(catalogue, records, date="2026-11-25")
    entries = {e.cve: e for e in report.dataset.entries}
    # Joomla's CVE is not in this KEV file; the Debian and GIT ranges are not used.
    assert set(entries) == {"CVE-2021-40438", "CVE-2021-41773"}
    assert report.matched_records == 2 and report.osv_records == 4
    apache = entries["CVE-2021-40438"]
    assert apache.product == "apache-httpd" and apache.origin == "imported"
    assert apache.affected == (AffectedRange("0", fixed="2.4.49"),)
    assert apache.fixed_version == "fixed in 2.4.49"
    assert apache.kev_date_added == "2021-12-01"
    assert apache.sources == (
        "https://www.cisa.gov/known-exploited-vulnerabilities-catalog?field_cve=CVE-2021-40438",
        "https://osv.dev/vulnerability/BIT-apache-2021-40438")
    assert "mod_proxy" in apache.impact and "CISA KEV" in apache.impact
    assert entries["CVE-2021-41773"].fixed_version == "fixed after 2.4.49"


def test_the_import_reads_osv_zip_archives(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in OSV_DIR.glob("*.json"):
            archive.writestr(path.name, path.read_bytes())
        archive.writestr("broken.json", b"{")
        archive.writestr("README.txt", b"not a record")
    (tmp_path / "all.zip").write_bytes(buffer.getvalue())
    records = list(osv.read_records([tmp_path / "all.zip"]))
    assert sorted(r.id for r in records) == sorted(
        json.loads(p.read_text())["id"] for p in OSV_DIR.glob("*.json"))


def test_every_mapped_package_is_a_product_we_know():
    from cyberbasics.scan.software import PRODUCTS

    assert set(osv.PACKAGES.values()) <= set(PRODUCTS)
    assert osv.ECOSYSTEMS == ("Bitnami",)


def test_a_record_for_several_cves_gives_each_its_entry():
    catalogue = kev.parse_kev(KEV_FILE.read_bytes())
    record = copy.deepcopy(json.loads((OSV_DIR / "BIT-apache-2021-41773.json").read_text()))
    record["aliases"] = ["CVE-2021-41773", "CVE-2021-40438", "GHSA-xxxx"]
    report = osv.build_dataset(catalogue, [osv.parse_osv(record)], date="2026-11-25")
    assert [e.cve for e in report.dataset.entries] == ["CVE-2021-40438", "CVE-2021-41773"]
