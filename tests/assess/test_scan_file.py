"""A scan's JSON read back for a review: the business's domains, the weakest area scores."""

import json

import pytest

from cyberbasics.assess.scan_file import ScanFileError, read_scan, scan_summary
from cyberbasics.report.scan_output import to_json
from cyberbasics.scan.engine import scan_domains
from cyberbasics.scan.model import Status


@pytest.fixture(scope="module")
def document(world):
    import asyncio

    async def run():
        return await scan_domains(["bakery.example", "florist.example", "nosuch.example"],
                                  world.config())

    return json.loads(to_json(asyncio.run(run())))


def test_only_the_business_domains_are_read(document):
    summary = scan_summary(document, ["Florist.example."])
    assert summary.domains == ("florist.example",)
    assert "bakery.example" in summary.skipped and "nosuch.example" in summary.skipped
    assert {f.check for f in summary.findings} >= {"email.dmarc.policy", "web.https"}
    assert summary.mode == "passive"


def test_each_area_takes_the_weakest_domain(document):
    both = scan_summary(document)
    florist = scan_summary(document, ["florist.example"])
    bakery = scan_summary(document, ["bakery.example"])
    for area, score in both.area_scores.items():
        known = [s for s in (florist.area_scores[area], bakery.area_scores[area]) if s is not None]
        assert score == (min(known) if known else None)
    assert both.area_scores["services"] is None  # not scanned: no made-up score


def test_findings_keep_their_status(document):
    summary = scan_summary(document, ["florist.example"])
    statuses = {f.check: f.status for f in summary.findings}
    assert statuses["email.dmarc.policy"] in (Status.WARN, Status.FAIL)


def test_what_is_not_a_scan_is_refused(tmp_path):
    with pytest.raises(ScanFileError):
        scan_summary({"schema": "something/1"})
    bad = tmp_path / "scan.json"
    bad.write_text("{not json")
    with pytest.raises(ScanFileError):
        read_scan(bad)
