"""The assessments benchmark's own data and run, small."""

from assessments import benchmark, profiles_and_answers


def test_cases_are_seeded_and_use_real_options():
    catalogue, first = profiles_and_answers(20)
    _, second = profiles_and_answers(20)
    assert first == second
    for _, answers in first:
        for question_id, option in answers.items():
            assert catalogue.question(question_id).option(option) is not None


def test_a_small_run():
    figures = benchmark(50)
    assert figures["count"] == 50 and figures["per_second"] > 0
    assert sum(figures["bands"].values()) == 50
