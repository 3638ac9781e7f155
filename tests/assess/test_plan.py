"""The action plan: every gap an action, ordered by what protects most per hour."""

import pytest

from cyberbasics.assess.catalogue import Action, Area, Catalogue, Control, Option, Question
from cyberbasics.assess.plan import PlanError, make_plan
from cyberbasics.assess.scoring import score

OPTIONS = (Option("yes", 1), Option("partly", 0.5), Option("no", 0),
           Option("not_applicable", None), Option("dont_know", None))
CAT = Catalogue(
    "t", (Area("backups", 5), Area("staff", 1)),
    (Control("backups.regular", "backups", 3, critical=True),
     Control("backups.offline", "backups", 1), Control("staff.training", "staff", 2)),
    (Question("b1", "backups.regular", 1, 1, OPTIONS),
     Question("b2", "backups.offline", 1, 1, OPTIONS),
     Question("s1", "staff.training", 1, 1, OPTIONS)),
    (Action("turn_on_backups", "backups.regular", 30, "under_100", True, ("question", "b1")),
     Action("offline_copy", "backups.offline", 60, "under_100", False, ("question", "b2")),
     Action("train_staff", "staff.training", 120, "free", False, ("question", "s1")),
     Action("training_video", "staff.training", 15, "free", True, ("question", "s1"))))


def plan_for(answers):
    return make_plan(CAT, score(CAT, {}, answers))


def test_priorities_follow_the_formula():
    plan = plan_for({"b1": "no", "b2": "partly", "s1": "dont_know"})
    by_id = {p.id: p for p in plan.actions}
    # risk 5×3, gap 1, critical ×2, per hour: 15 × 1 × 2 × 60 / 30 = 60
    assert by_id["turn_on_backups"].priority == 60
    assert by_id["offline_copy"].priority == 2.5  # 5×1 × 0.5 × 60 / 60
    assert by_id["training_video"].priority == 8  # 1×2 × 1 × 60 / 15: I don't know is a gap
    assert [p.id for p in plan.actions] == ["turn_on_backups", "training_video",
                                            "offline_copy", "train_staff"]


def test_met_and_not_applicable_controls_have_no_action():
    plan = plan_for({"b1": "yes", "b2": "not_applicable", "s1": "partly"})
    assert {p.id for p in plan.actions} == {"training_video", "train_staff"}


def test_ties_go_to_quick_wins_and_the_top_five_come_first():
    plan = plan_for({"b1": "no", "b2": "no", "s1": "no"})
    assert len(plan.top) == 4 and plan.rest_by_area(["backups", "staff"]) == {}


def test_verified_needs_a_rescan_or_evidence():
    planned = plan_for({"b1": "no"}).actions[0]
    assert planned.with_status("doing").status == "doing"
    with pytest.raises(PlanError):
        planned.with_status("verified")
    assert planned.with_status("verified", confirmed_by="question b1 re-asked").status == \
        "verified"
    with pytest.raises(PlanError):
        planned.with_status("finished")
