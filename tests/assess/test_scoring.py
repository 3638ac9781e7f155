"""Scoring: the formula on hand-worked examples, and its properties under Hypothesis."""

from hypothesis import given
from hypothesis import strategies as st

from cyberbasics.assess.catalogue import Area, Catalogue, Control, Option, Question
from cyberbasics.assess.conditions import parse_condition
from cyberbasics.assess.scoring import CAP, band_for, score


def _q(qid, control, weight=1, na=False, applies_if=None):
    options = [Option("yes", 1), Option("partly", 0.5), Option("no", 0)]
    if na:
        options.append(Option("not_applicable", None))
    options.append(Option("dont_know", None))
    return Question(qid, control, weight, 1, tuple(options), applies_if,
                    condition=parse_condition(applies_if) if applies_if else None)


CAT = Catalogue(
    "t",
    (Area("backups", 5), Area("staff", 1)),
    (Control("backups.regular", "backups", 3, critical=True),
     Control("backups.offline", "backups", 1),
     Control("staff.training", "staff", 1)),
    (_q("b1", "backups.regular", 2), _q("b2", "backups.regular"), _q("b3", "backups.offline"),
     _q("s1", "staff.training", na=True), _q("s2", "staff.training",
                                              applies_if="business.size at least 5")),
    ())
QUESTIONS = [q.id for q in CAT.questions]
ORDER = ["dont_know", "no", "partly", "yes"]  # worse to better


def test_a_worked_example():
    result = score(CAT, {"size": 2}, {"b1": "yes", "b2": "partly", "b3": "no", "s1": "yes"})
    # backups.regular = (2×1 + 1×0.5) / 3 = 5/6; backups area = (3×5/6 + 1×0) / 4 = 62.5 %
    areas = {a.id: a for a in result.areas}
    assert areas["backups"].score == 63 and areas["backups"].band == "developing"
    assert areas["staff"].score == 100  # s2 is not asked of a two-person business
    # overall = (5 × 62.5 + 1 × 100) / 6 = 68.75 -> 69
    assert (result.overall, result.band, result.capped_by) == (69, "developing", ())
    assert "s2" not in result.asked


def test_dont_know_counts_zero_and_is_listed():
    result = score(CAT, {"size": 9}, {"b1": "yes", "b2": "yes", "b3": "yes", "s1": "yes"})
    assert result.unknown == ("s2",)  # unanswered counts as "I don't know"
    assert {a.id: a.score for a in result.areas}["staff"] == 50


def test_not_applicable_leaves_the_denominator():
    result = score(CAT, {"size": 2}, {"b1": "yes", "b2": "yes", "b3": "yes",
                                      "s1": "not_applicable"})
    staff = {a.id: a for a in result.areas}["staff"]
    assert staff.score is None and staff.band is None and result.overall == 100


def test_a_failed_critical_control_caps_the_score():
    answers = {"b1": "no", "b2": "no", "b3": "yes", "s1": "yes"}
    result = score(CAT, {"size": 2}, answers, scan_areas={"email": (100, 5)})
    assert result.capped_by == ("backups.regular",)
    assert result.overall == CAP < result.uncapped and result.band == "basic"


def test_scan_areas_count_with_their_weight_and_none_leaves_them_out():
    answers = {"b1": "yes", "b2": "yes", "b3": "yes", "s1": "yes"}
    result = score(CAT, {"size": 2}, answers, scan_areas={"email": (40, 6), "web": (None, 3)})
    assert result.overall == 70  # (5×100 + 1×100 + 6×40) / 12
    assert {a.id: a.source for a in result.areas}["email"] == "scan"


def test_bands_and_rounding():
    assert [band_for(s) for s in (0, 39, 40, 59, 60, 74, 75, 89, 90, 100)] == [
        "starting", "starting", "basic", "basic", "developing", "developing", "good", "good",
        "strong", "strong"]


answers_strategy = st.fixed_dictionaries(
    {q: st.sampled_from(ORDER) for q in QUESTIONS})
business_strategy = st.fixed_dictionaries({"size": st.integers(1, 20)})


def _all_scores(result):
    return [result.overall, *[a.score for a in result.areas],
            *[v for v in result.controls.values()]]


@given(answers_strategy, business_strategy, st.sampled_from(QUESTIONS))
def test_improving_an_answer_never_lowers_a_score(answers, business, question):
    before = score(CAT, business, answers)
    rank = ORDER.index(answers[question])
    if rank == len(ORDER) - 1:
        return
    after = score(CAT, business, {**answers, question: ORDER[rank + 1]})
    for old, new in zip(_all_scores(before), _all_scores(after), strict=True):
        assert old is None or new is None or new >= old


@given(answers_strategy, business_strategy)
def test_identical_inputs_identical_results_and_caps_hold(answers, business):
    first, second = score(CAT, business, answers), score(CAT, business, answers)
    assert first == second
    if first.capped_by:
        assert first.overall <= CAP
    dont_know = score(CAT, business, dict.fromkeys(QUESTIONS, "dont_know"))
    met = score(CAT, business, dict.fromkeys(QUESTIONS, "yes"))
    assert dont_know.overall <= met.overall
