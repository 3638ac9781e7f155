"""Scan findings answer what the owner did not know and win when they disagree."""

from cyberbasics.assess.answers import Answer
from cyberbasics.assess.catalogue import Area, Catalogue, Control, Option, Question
from cyberbasics.assess.fusion import fuse
from cyberbasics.scan.model import Finding, Severity, Status

OPTIONS = (Option("yes", 1), Option("partly", 0.5), Option("no", 0),
           Option("not_applicable", None), Option("dont_know", None))
CAT = Catalogue(
    "t", (Area("email_phishing", 3),), (Control("email.spoofing", "email_phishing", 1),),
    (Question("email.protected", "email.spoofing", 1, 1, OPTIONS,
              scan_checks=("email.dmarc.policy", "email.spf.all")),
     Question("email.other", "email.spoofing", 1, 1, OPTIONS[2:4] + OPTIONS[:1] +
              OPTIONS[4:])),
    ())


def finding(check, status, summary="seen"):
    return Finding(check, "email", status, Severity.HIGH, "r", "t", summary, "", "", {})


def test_the_evidence_wins_and_the_conflict_is_kept():
    fused = fuse(CAT, {"email.protected": Answer("email.protected", "yes")},
                 [finding("email.dmarc.policy", Status.FAIL, "no DMARC record"),
                  finding("email.spf.all", Status.PASS)])
    assert fused.answers["email.protected"].option == "no"
    assert fused.answers["email.protected"].source == "scan"
    [conflict] = fused.conflicts
    assert (conflict.said, conflict.seen, conflict.check) == ("yes", "no",
                                                              "email.dmarc.policy")
    assert "no DMARC record" in conflict.summary


def test_the_scan_answers_what_the_owner_did_not_know():
    fused = fuse(CAT, {"email.protected": Answer("email.protected", "dont_know")},
                 [finding("email.dmarc.policy", Status.WARN),
                  finding("email.spf.all", Status.PASS)])
    assert fused.answers["email.protected"].option == "partly"
    assert fused.scan_answered == ("email.protected",) and fused.conflicts == ()


def test_agreement_errors_and_not_applicable_change_nothing():
    said = {"email.protected": Answer("email.protected", "no")}
    assert fuse(CAT, said, [finding("email.dmarc.policy", Status.FAIL)]).conflicts == ()
    for status in (Status.ERROR, Status.INFO):
        fused = fuse(CAT, said, [finding("email.dmarc.policy", status)])
        assert fused.answers == said and fused.conflicts == ()
    not_applicable = {"email.protected": Answer("email.protected", "not_applicable")}
    assert fuse(CAT, not_applicable, [finding("email.dmarc.policy", Status.FAIL)]).answers \
        == not_applicable


def test_a_clean_scan_never_raises_an_answer_and_answers_only_when_complete():
    said = {"email.protected": Answer("email.protected", "partly")}
    fused = fuse(CAT, said, [finding("email.dmarc.policy", Status.PASS),
                             finding("email.spf.all", Status.PASS)])
    assert fused.answers == said and fused.conflicts == ()
    unknown = {"email.protected": Answer("email.protected", "dont_know")}
    half_seen = fuse(CAT, unknown, [finding("email.dmarc.policy", Status.PASS)])
    assert half_seen.answers == unknown  # spf.all was not judged: no answer from a pass
    both = fuse(CAT, unknown, [finding("email.dmarc.policy", Status.PASS),
                               finding("email.spf.all", Status.PASS)])
    assert both.answers["email.protected"].option == "yes"
