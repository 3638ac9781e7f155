"""Scoring plus action plan for 10,000 assessments: what a programme's statistics need.

Answers are drawn (seeded) from realistic business profiles: each question answered with
one of its options, a share "I don't know", a few left out. Reports assessments a second
and where the time goes per step (applies_if, scoring, plan), in this one process.

    cd bench && ../.venv/bin/python assessments.py [--count 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

from cyberbasics.assess.catalogue import load_catalogue
from cyberbasics.assess.plan import make_plan
from cyberbasics.assess.scoring import score

PLATFORMS = ("microsoft365", "google_workspace", "windows", "macos", "mobile")
TIME_LIMIT_S = 600.0


def profiles_and_answers(count: int, seed: int = 7):
    catalogue = load_catalogue()
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        business = {"size": rng.choice((1, 1, 2, 3, 5, 9)),
                    "platforms": rng.sample(PLATFORMS, rng.randint(1, 3)),
                    "premises": rng.choice(("home", "office", "shop", "shared")),
                    "card_payments": rng.random() < 0.4, "own_website": rng.random() < 0.6,
                    "nas": rng.random() < 0.2, "it_provider": rng.random() < 0.3}
        answers = {}
        for question in catalogue.questions:
            roll = rng.random()
            if roll < 0.05:
                continue  # left unanswered
            if roll < 0.15:
                answers[question.id] = "dont_know"
            else:
                answers[question.id] = rng.choice(question.options[:-1]).id
        cases.append((business, answers))
    return catalogue, cases


def benchmark(count: int = 10_000) -> dict:
    catalogue, cases = profiles_and_answers(count)
    started = time.perf_counter()
    cpu = time.process_time()
    scoring_s = plan_s = 0.0
    bands: dict[str, int] = {}
    actions = 0
    for number, (business, answers) in enumerate(cases):
        t0 = time.perf_counter()
        assessment = score(catalogue, business, answers)
        t1 = time.perf_counter()
        plan = make_plan(catalogue, assessment)
        t2 = time.perf_counter()
        scoring_s += t1 - t0
        plan_s += t2 - t1
        bands[assessment.band] = bands.get(assessment.band, 0) + 1
        actions += len(plan.actions)
        if number % 500 == 0 and time.perf_counter() - started > TIME_LIMIT_S:
            raise SystemExit(f"stopped after {number} assessments: over {TIME_LIMIT_S:g} s")
    wall = time.perf_counter() - started
    return {"count": count, "wall_s": wall, "cpu_s": time.process_time() - cpu,
            "per_second": count / wall, "scoring_us": scoring_s / count * 1e6,
            "plan_us": plan_s / count * 1e6, "bands": bands,
            "actions_per_assessment": actions / count,
            "questions": len(catalogue.questions)}


def report(figures: dict) -> list[str]:
    return [
        f"Assessments: scoring plus action plan for {figures['count']:,} assessments "
        f"({figures['questions']} questions each): {figures['per_second']:,.0f} a second "
        f"({figures['wall_s']:.2f} s; scoring {figures['scoring_us']:.0f} µs, plan "
        f"{figures['plan_us']:.0f} µs per assessment; {figures['actions_per_assessment']:.1f} "
        f"actions each)",
        f"  bands: {json.dumps(dict(sorted(figures['bands'].items())))}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    figures = benchmark(args.count)
    print("\n".join(report(figures)))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
