"""Every check has its texts, and every text can be filled."""

import string

import pytest
import yaml

from cyberbasics.scan.registry import all_checks
from cyberbasics.texts import CONTENT_DIR, check_texts, fill

CHECK_IDS = sorted(c.id for c in all_checks())


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_every_check_has_a_title_why_and_fix(check_id):
    texts = check_texts(check_id)
    for key in ("title", "why", "fix"):
        assert texts.get(key, "").strip(), f"{check_id} has no {key}"
    assert texts.get("results"), f"{check_id} has no result texts"


@pytest.mark.parametrize("path", sorted(CONTENT_DIR.glob("*/checks.yaml")),
                         ids=lambda p: p.parent.name)
def test_every_result_text_is_a_valid_template(path):
    catalogue = yaml.safe_load(path.read_text(encoding="utf-8"))
    for check_id, entry in catalogue.items():
        for result, template in (entry.get("results") or {}).items():
            fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
            assert all(f.isidentifier() for f in fields), (check_id, result, fields)
            fill(template, {})  # placeholders without values stay visible, never raise


def test_a_broken_template_falls_back_instead_of_failing(monkeypatch):
    from cyberbasics.scan import engine
    from cyberbasics.scan.model import Outcome, Status

    monkeypatch.setattr(engine, "result_text", lambda *a: "broken {reason")
    check = next(c for c in all_checks() if c.id == "domain.caa")
    finding = engine.render(check, Outcome(Status.WARN, "none", {}, {"domain": "x.example"}))
    assert finding.summary == "none"
