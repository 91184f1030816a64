"""Correcting a question's answer key after a round was graded (an accepted appeal), and regrading.

A question's key is locked once it was given in an attempt (``services.question_save``), so that two attempts
of one round are never graded differently. An appeal may show the key itself was wrong: then the key is
corrected and *every* attempt of the round is regraded with it, which keeps "graded alike" true. A question
also given in another round is refused: that round's published scores would silently disagree with its
stored answers, so the organiser awards the point to the appellant instead.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from contests.models import Round

from .grading import grade
from .importing.base import MULTIPLE, SINGLE, TRUE_FALSE
from .models import AttemptItem, Choice, Question, QuizRound
from .services import answer_key, recompute_round

CHOICE_TYPES = {SINGLE, MULTIPLE, TRUE_FALSE}


def question_key_problems(*, question: Question, rnd: Round, correct_ids: set[int]) -> list[str]:
    """Why the key cannot be set to ``correct_ids`` for ``rnd`` (empty list: it can)."""
    if question.type not in CHOICE_TYPES:
        return [_("Only a choice question's key can be corrected here; award the point instead.")]
    choice_ids = set(question.choices.values_list("pk", flat=True))
    if not correct_ids or not correct_ids <= choice_ids:
        return [_("Choose the right answer(s) among the question's choices.")]
    if question.type != MULTIPLE and len(correct_ids) != 1:
        return [_("This question has exactly one right answer.")]
    if correct_ids == set(question.choices.filter(is_correct=True).values_list("pk", flat=True)):
        return [_("This is already the question's key.")]
    elsewhere = AttemptItem.objects.filter(question=question).exclude(attempt__quiz_round__round=rnd)
    if elsewhere.exists():
        return [_("This question was also given in another round: award the point instead of changing its key.")]
    return []


@transaction.atomic
def question_key_correct(*, question: Question, rnd: Round, correct_ids: set[int]) -> dict[int, Decimal]:
    """Set the question's right choices and regrade every attempt of ``rnd``; return each participant's change
    of counting points (user id → delta, only the non-zero ones).

    The caller records the changes as audited corrections of the published results (``appeals.services``):
    this function writes the key and the attempts' points, never a score or a result."""
    problems = question_key_problems(question=question, rnd=rnd, correct_ids=correct_ids)
    if problems:
        raise ValidationError(problems)
    before = recompute_round(rnd)
    Choice.objects.filter(question=question).update(is_correct=False)
    Choice.objects.filter(question=question, pk__in=correct_ids).update(is_correct=True)
    _regrade_items(question=question, rnd=rnd)
    after = recompute_round(rnd)
    changes = {}
    for user_id in set(before) | set(after):
        delta = after.get(user_id, Decimal(0)) - before.get(user_id, Decimal(0))
        if delta:
            changes[user_id] = delta
    return changes


def _regrade_items(*, question: Question, rnd: Round) -> None:
    """Store the new points on the question's items and the new totals on their attempts, so that review
    pages and exports show what the corrected key gives."""
    quiz_round = QuizRound.objects.filter(round=rnd).first()
    if quiz_round is None:
        return
    question = Question.objects.prefetch_related("choices").get(pk=question.pk)
    key = answer_key(question)
    items = list(
        AttemptItem.objects.filter(question=question, attempt__quiz_round=quiz_round).select_related("attempt")
    )
    for item in items:
        if item.points is None:
            continue  # an unsubmitted attempt: graded at its submit, with the corrected key
        new = grade(key, item.response)
        if new != item.points:
            attempt = item.attempt
            attempt.score = (attempt.score or Decimal(0)) + new - item.points
            attempt.save(update_fields=["score"])
            item.points = new
            item.save(update_fields=["points"])
