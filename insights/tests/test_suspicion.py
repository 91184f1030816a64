"""The suspicion rule on hand-made attempts."""

import datetime as dt

from insights.suspicion import SuspectAttempt, suspicious_groups

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
SHEET = ((1, "3"), (2, "[4, 5]"), (3, '"hà nội"'))


def sheet(attempt_id, user_id, seconds, *, ip="10.0.0.1", answers=SHEET):
    return SuspectAttempt(attempt_id, user_id, ip, T0 + dt.timedelta(seconds=seconds), answers)


def ids(groups):
    return [[attempt.attempt_id for attempt in group] for group in groups]


def test_same_answers_same_address_within_the_window_are_grouped():
    attempts = [sheet(1, 10, 0), sheet(2, 11, 30), sheet(3, 12, 200)]
    assert ids(suspicious_groups(attempts)) == [[1, 2]]


def test_a_chain_of_close_submissions_is_one_group():
    attempts = [sheet(1, 10, 0), sheet(2, 11, 50), sheet(3, 12, 100)]
    assert ids(suspicious_groups(attempts, window_s=60)) == [[1, 2, 3]]
    assert ids(suspicious_groups(attempts, window_s=40)) == []


def test_other_address_other_answers_or_empty_sheets_are_not_grouped():
    other_answers = ((1, "3"), (2, "[4]"), (3, '"hà nội"'))
    attempts = [
        sheet(1, 10, 0),
        sheet(2, 11, 5, ip="10.0.0.2"),
        sheet(3, 12, 10, answers=other_answers),
        sheet(4, 13, 0, answers=()),
        sheet(5, 14, 1, answers=()),
    ]
    assert suspicious_groups(attempts) == []


def test_one_person_retaking_the_quiz_is_not_a_group():
    assert suspicious_groups([sheet(1, 10, 0), sheet(2, 10, 20)]) == []


def test_largest_groups_first():
    other = ((1, "4"),)
    attempts = [sheet(1, 10, 0, answers=other), sheet(2, 11, 1, answers=other)]
    attempts += [sheet(3, 12, 500), sheet(4, 13, 501), sheet(5, 14, 502)]
    assert ids(suspicious_groups(attempts)) == [[3, 4, 5], [1, 2]]
