"""What grades a question is locked once the question was given in an attempt (issue 13, "Doors closed"):
type and choices as before, and now points, partial credit and ignoring diacritics, so that two attempts of
one round are never graded by different rules."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from quizzes import services

pytestmark = pytest.mark.django_db

CHANGES = {
    "points": {"points": 5},
    "partial_credit": {"partial_credit": True},
    "ignore_diacritics": {"ignore_diacritics": True},
}


def _given_question(quiz_round, player, now, qtype="single"):
    services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    return quiz_round.quiz.items.get(question__type=qtype).question


@pytest.mark.parametrize("field", list(CHANGES))
def test_grading_fields_of_a_question_given_in_an_attempt_cannot_change(quiz_round, player, now, field):
    question = _given_question(quiz_round, player, now)
    before = (question.points, question.partial_credit, question.ignore_diacritics)
    parsed = dataclasses.replace(services.question_to_parsed(question), **CHANGES[field])
    with pytest.raises(ValidationError):
        services.question_save(bank=question.bank, parsed=parsed, question=question)
    question.refresh_from_db()
    assert (question.points, question.partial_credit, question.ignore_diacritics) == before


def test_the_wording_of_a_question_given_in_an_attempt_may_still_be_fixed(quiz_round, player, now):
    question = _given_question(quiz_round, player, now)
    parsed = dataclasses.replace(services.question_to_parsed(question), text="Lời đã sửa", explanation="Giải thích")
    services.question_save(bank=question.bank, parsed=parsed, question=question)
    question.refresh_from_db()
    assert question.text == "Lời đã sửa"


@pytest.mark.parametrize("field", list(CHANGES))
def test_grading_fields_of_an_unused_question_may_change(bank, field):
    question = bank.questions.get(type="single")
    parsed = dataclasses.replace(services.question_to_parsed(question), **CHANGES[field])
    services.question_save(bank=bank, parsed=parsed, question=question)
    question.refresh_from_db()
    assert getattr(question, field) == (Decimal(5) if field == "points" else True)


def test_the_question_form_says_why_points_are_locked(client, organiser, quiz_round, player, now):
    question = _given_question(quiz_round, player, now)
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        body = client.get(reverse("organiser_question", args=[question.pk])).content
    text = body.decode()
    assert "points, partial credit and diacritics setting can no longer change" in text
