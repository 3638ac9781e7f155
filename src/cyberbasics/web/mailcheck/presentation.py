"""What the result pages show: the verdict in words with its tone and icon (never colour
alone), the reasons as sentences, and the evidence for whoever opens it. The words of
verdicts and reasons are the core's (content/<lang>/email.yaml), in the page's language."""

from __future__ import annotations

from dataclasses import dataclass

from ...mail.verdict import Analysis, Reason
from ...texts import words

TONES = {"authentic": ("good", "✓"), "suspicious": ("warn", "!"), "forged": ("bad", "✗"),
         "unknown": ("neutral", "?")}
MAX_HEADERS_SHOWN = 200


@dataclass(frozen=True)
class Verdict:
    key: str
    name: str
    summary: str
    tone: str
    icon: str


@dataclass(frozen=True)
class ReasonRow:
    id: str
    text: str
    evidence: tuple[tuple[str, str], ...]


def verdict(key: str, language: str) -> Verdict:
    texts = words("email", language)
    tone, icon = TONES.get(key, TONES["unknown"])
    return Verdict(key, texts.get("verdict_names", {}).get(key, key),
                   texts["verdicts"].get(key, ""), tone, icon)


def _flat(evidence: dict) -> tuple[tuple[str, str], ...]:
    rows = []
    for key, value in (evidence or {}).items():
        if isinstance(value, dict):
            rows.extend((f"{key}.{k}", str(v)) for k, v in value.items())
        elif value not in (None, ""):
            rows.append((key, str(value)))
    return tuple(rows)


def reason_row(reason_id: str, evidence: dict, language: str) -> ReasonRow:
    try:
        text = Reason(reason_id, evidence).text(language)
    except (KeyError, ValueError):  # a reason this version's content has no words for
        text = reason_id
    return ReasonRow(reason_id, text, _flat(evidence))


def result_context(analysis: Analysis, language: str) -> dict:
    """Everything the result template reads of a fresh analysis."""
    data = analysis.to_dict(language)
    return {
        "verdict": verdict(analysis.verdict, language),
        "reasons": [reason_row(r.id, r.evidence, language) for r in analysis.reasons],
        "sender": data["from"],
        "trusted_hop": data["trusted_hop"],
        "authentication": data["authentication"],
        "own_domains": data["own_domains"],
        "contact_domains": data["contact_domains"],
        "headers_only": data["headers_only"],
        "headers": analysis.message.headers[:MAX_HEADERS_SHOWN],
        "headers_cut": len(analysis.message.headers) > MAX_HEADERS_SHOWN,
        "infrastructure": list(analysis.infrastructure),
    }


def stored_context(checked, language: str) -> dict:
    """What a kept check shows: the same words, written again in the reader's language."""
    return {
        "verdict": verdict(checked.verdict, language),
        "reasons": [reason_row(r.get("id", ""), r.get("evidence") or {}, language)
                    for r in checked.reasons if isinstance(r, dict)],
        "infrastructure": list(checked.infrastructure or ()),
    }
