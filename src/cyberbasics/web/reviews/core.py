"""The bridge from the database to the core: a stored review becomes the core's `Review`
(answers fused with the outside view, scored, planned), the same object the CLI builds from
an answers file, so the web and the CLI can never disagree on a score."""

from __future__ import annotations

from typing import Any

from ...assess.answers import Answer as CoreAnswer
from ...assess.answers import Answers
from ...assess.catalogue import Catalogue, load_catalogue
from ...assess.review import Review as CoreReview
from ...assess.review import build_review
from ...assess.scan_file import ScanFileError, ScanSummary, scan_summary
from .models import Review, Scan


def catalogue() -> Catalogue:
    return load_catalogue()


def business_facts(review: Review) -> dict[str, Any]:
    """The answers file's `business` section: the profile answered in this review, with the
    business's name, country and domains."""
    business = review.business
    facts = {**business.profile, **review.profile, "name": business.name,
             "country": business.country}
    facts["domains"] = [domain.name for domain in business.domains.all()]
    return facts


def core_answers(review: Review) -> Answers:
    answers = {row.question: CoreAnswer(row.question, row.option, row.source, row.note or None)
               for row in review.answers.all()}
    return Answers(review.catalogue_version, business_facts(review), answers)


def latest_scan(review: Review) -> Scan | None:
    """The outside view the review uses: its own latest finished scan (for a finished
    review, the latest one finished before it, so its result never changes afterwards)."""
    scans = review.scans.filter(status=Scan.Status.DONE, result__isnull=False)
    if review.completed_at is not None:
        scans = scans.filter(finished_at__lte=review.completed_at)
    return scans.order_by("-finished_at").first()


def scan_summary_of(scan: Scan | None, domains) -> ScanSummary | None:
    if scan is None:
        return None
    try:
        return scan_summary(scan.result, domains)
    except ScanFileError:
        return None


def core_review(review: Review, language: str) -> CoreReview:
    answers = core_answers(review)
    scan = scan_summary_of(latest_scan(review), answers.business.get("domains") or ())
    return build_review(catalogue(), answers, scan, language)
