"""Fixtures of the insight tests: the quiz and reading fixtures of their apps, plus participants spread
over regions, units and categories who take a quiz round through the services."""

import datetime as dt

import pytest

from contests.models import Category, Organisation
from quizzes import services as quizzes
from quizzes.tests.conftest import (  # noqa: F401 - fixtures used by this package's tests
    _fresh_close_slots,
    bank,
    make_quiz_round,
    quiz,
    quiz_round,
    right_answers,
)


@pytest.fixture
def school(db):
    return Organisation.objects.create(name="Trường THCS Nha Trang", slug="thcs-nha-trang")


@pytest.fixture
def make_person(make_user, complete_profile):
    """A participant with a complete profile in ``region`` (a code of the bundled tree)."""
    counter = iter(range(100, 1000))

    def make(*, region="TN-TPTN-01", category=Category.CITIZEN, organisation=None, organisation_name=""):
        number = next(counter)
        profile = {
            **complete_profile(f"+849140{number:05d}", region=region, category=category),
            "organisation": organisation,
            "organisation_name": organisation_name,
        }
        return make_user(f"person{number}@example.vn", profile=profile)

    return make


@pytest.fixture
def take_quiz():
    """Start, answer and submit an attempt: ``right`` answers right (full marks), else answers nothing."""

    def take(rnd, user, *, at, right=True, answers=None, seconds=120, submit=True, **start):
        attempt = quizzes.attempt_start(quiz_round=rnd, user=user, now=at, **start)
        chosen = answers if answers is not None else (right_answers(attempt) if right else {})
        for step, (position, response) in enumerate(sorted(chosen.items()), 1):
            moment = at + dt.timedelta(seconds=step * seconds / (len(chosen) + 1))
            quizzes.attempt_answer(attempt_id=attempt.pk, user=user, position=position, response=response, now=moment)
        if submit:
            attempt = quizzes.attempt_submit(attempt_id=attempt.pk, user=user, now=at + dt.timedelta(seconds=seconds))
        return attempt

    return take


from submissions.tests.conftest import (  # noqa: E402, F401 - the reading fixtures, for the reading charts
    copy_of,
    judging_round,
    make_entry,
    make_judge,
    make_reading_round,
    marks_for,
    media,
    upload_of,
)
