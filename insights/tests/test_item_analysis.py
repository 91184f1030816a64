"""Item analysis on hand-computed examples (Moodle's definitions, see insights/item_analysis.py)."""

import datetime as dt
import math
import statistics

import pytest

from insights.item_analysis import AttemptRecord, ItemRecord, analyse, answer_seconds, response_key, round_summary

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def attempt(number: int, marks: dict[int, float], responses: dict | None = None, times: dict | None = None):
    responses, times = responses or {}, times or {}
    items = tuple(
        ItemRecord(
            question_id=question,
            mark=mark,
            max_mark=1,
            response=responses.get(question, "x"),
            answered_at=T0 + dt.timedelta(seconds=times[question]) if question in times else None,
        )
        for question, mark in marks.items()
    )
    return AttemptRecord(attempt_id=number, started_at=T0, items=items)


def by_question(stats):
    return {row.question_id: row for row in stats}


def test_three_attempts_two_questions_by_hand():
    # A: 1 1, B: 1 0, C: 0 0. Question 1: x = (1, 1, 0), rest = (1, 0, 0); means 2/3 and 1/3;
    # cov = (2/9 − 1/9 + 2/9) / 2 = 1/6; var(x) = var(rest) = 1/3; r = (1/6) / (1/3) = 0.5.
    stats = by_question(analyse([attempt(1, {1: 1, 2: 1}), attempt(2, {1: 1, 2: 0}), attempt(3, {1: 0, 2: 0})]))
    first, second = stats[1], stats[2]
    assert first.attempts == 3
    assert first.facility == pytest.approx(2 / 3) and second.facility == pytest.approx(1 / 3)
    assert first.sd == pytest.approx(math.sqrt(1 / 3))
    assert first.discrimination == pytest.approx(50.0) and second.discrimination == pytest.approx(50.0)
    # cov_max pairs sorted x (0, 1, 1) with sorted rest (0, 0, 1): (2/9 − 1/9 + 2/9) / 2 = 1/6 → efficiency 100.
    assert first.efficiency == pytest.approx(100.0)
    assert first.flags == [] and second.flags == []


def test_a_question_that_the_best_get_wrong_discriminates_negatively():
    # Question 1: x = (1, 1, 0, 0), rest = (1, 0, 2, 1): cov = −1/3, var(x) = 1/3, var(rest) = 2/3,
    # r = −1/√2; cov_max = 1/3 → efficiency −100.
    attempts = [
        attempt(1, {1: 1, 2: 1, 3: 0}),
        attempt(2, {1: 1, 2: 0, 3: 0}),
        attempt(3, {1: 0, 2: 1, 3: 1}),
        attempt(4, {1: 0, 2: 0, 3: 1}),
    ]
    stats = by_question(analyse(attempts))
    assert stats[1].discrimination == pytest.approx(-100 / math.sqrt(2))
    assert stats[1].efficiency == pytest.approx(-100.0)
    assert stats[1].flags == ["negative_discrimination"]
    assert stats[2].discrimination is None, "the rest of the test does not vary: no correlation"


def test_discrimination_is_the_correlation_with_the_rest_of_the_test():
    marks = [(1, 0.5, 1, 0), (1, 1, 0, 1), (0, 0.5, 0, 0), (1, 1, 1, 1), (0, 0, 1, 0)]
    attempts = [attempt(n, dict(enumerate(row, 1))) for n, row in enumerate(marks)]
    stats = by_question(analyse(attempts))
    for question in (1, 2, 3, 4):
        x = [row[question - 1] for row in marks]
        rest = [sum(row) - row[question - 1] for row in marks]
        assert stats[question].discrimination == pytest.approx(100 * statistics.correlation(x, rest))


def test_flags_too_easy_and_too_hard():
    attempts = [attempt(n, {1: 1, 2: 0, 3: n % 2}) for n in range(10)]
    stats = by_question(analyse(attempts))
    assert stats[1].facility == 1 and stats[1].flags == ["too_easy"]
    assert stats[2].facility == 0 and stats[2].flags == ["too_hard"]
    assert stats[3].flags == []


def test_single_attempt_has_no_spread():
    (only,) = analyse([attempt(1, {1: 1})])
    assert only.facility == 1 and only.sd is None and only.discrimination is None


def test_most_chosen_wrong_answer():
    answers = [7, 8, 8, 9, None]
    attempts = [attempt(n, {1: 1 if a == 7 else 0}, responses={1: a}) for n, a in enumerate(answers)]
    (stats,) = analyse(attempts)
    assert stats.wrong_response == 8 and stats.wrong_count == 2


def test_wrong_texts_are_compared_without_case_or_spaces():
    answers = ["Hà  Nội", "hà nội ", "Huế"]
    attempts = [attempt(n, {1: 0}, responses={1: a}) for n, a in enumerate(answers)]
    (stats,) = analyse(attempts)
    assert stats.wrong_count == 2 and stats.wrong_response == "hà nội"
    assert response_key([3, 1]) != response_key([1, 3]), "an ordering's order is the answer"


def test_time_on_a_question_is_the_gap_since_the_previous_saved_answer():
    record = attempt(1, {1: 1, 2: 1, 3: 0}, times={2: 30, 1: 50})
    assert answer_seconds(record) == {2: 30.0, 1: 20.0}
    other = attempt(2, {1: 1, 2: 1, 3: 0}, times={1: 40, 2: 100})
    stats = by_question(analyse([record, other]))
    assert stats[1].median_seconds == 30.0  # median of 20 and 40
    assert stats[2].median_seconds == 45.0  # median of 30 and 60
    assert stats[3].median_seconds is None  # never answered


def test_round_summary():
    summary = round_summary([attempt(1, {1: 1, 2: 1}), attempt(2, {1: 1, 2: 0}), attempt(3, {1: 0, 2: 0})])
    assert (summary.attempts, summary.mean, summary.median) == (3, 1.0, 1.0)
    assert summary.sd == pytest.approx(1.0)
    assert round_summary([]).mean is None
