"""The corpus under tests/mail/corpus: every message has its expected verdict and reasons."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cyberbasics.mail.message import MessageError, parse_message
from cyberbasics.mail.verdict import Options, analyse

CORPUS = Path(__file__).with_name("corpus")
MANIFEST = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
CASES = MANIFEST["cases"]
OPTION_KEYS = ("own_domains", "mx_hosts", "trusted_authserv_ids")


def _options(case: dict) -> Options:
    merged = {**MANIFEST.get("defaults", {}), **{k: case[k] for k in OPTION_KEYS if k in case}}
    return Options(**{k: tuple(merged.get(k) or ()) for k in OPTION_KEYS})


def test_every_message_has_an_expectation_and_the_corpus_is_big_enough():
    files = {p.name for p in CORPUS.glob("*.eml")}
    listed = {case["file"] for case in CASES}
    assert files == listed
    assert len(files) >= 20
    assert {c["verdict"] for c in CASES if "verdict" in c} == {
        "authentic", "suspicious", "forged", "unknown"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"] + ("*" if "note" in c else ""))
def test_corpus_message(case):
    data = (CORPUS / case["file"]).read_bytes()
    if "error" in case:
        with pytest.raises(MessageError) as raised:
            parse_message(data)
        assert case["error"] in str(raised.value)
        return
    analysis = analyse(parse_message(data), _options(case))
    ids = [r.id for r in analysis.reasons]
    assert analysis.verdict == case["verdict"], ids
    assert sorted(set(ids)) == sorted(case["reasons"])
    result = analysis.to_dict()
    assert result["verdict"] == case["verdict"]
    if "trusted_hop" in case:
        hop = result["trusted_hop"]
        assert {k: hop[k] for k in case["trusted_hop"]} == case["trusted_hop"]
    if "display_name" in case:
        assert result["from"]["display_name"] == case["display_name"]
    if "lookalike" in case:
        evidence = next(r.evidence for r in analysis.reasons if r.id == "lookalike_domain")
        assert {k: evidence[k] for k in case["lookalike"]} == case["lookalike"]
