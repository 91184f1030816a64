"""Quizzes and quiz rounds: a quiz's questions and rules, a round's settings, weekly rounds, accommodations.

Apart from attempts because they are the organiser's set-up, written before any participant starts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contests.models import Event, Round
from contests.services import round_create
from leaderboard import ranking
from leaderboard.services import board_configure

from .. import review
from ..models import Accommodation, Question, QuestionBank, Quiz, QuizItem, QuizRound, SamplingRule
from .clock import _schedule_release

if TYPE_CHECKING:
    from collections.abc import Sequence

    from contests.models import Organisation


@transaction.atomic
def quiz_create(
    *,
    organisation: Organisation,
    bank: QuestionBank,
    title: str,
    question_ids: Sequence[int] = (),
    rules: Sequence[Any] = (),
    shuffle_questions: bool = True,
    shuffle_choices: bool = True,
) -> Quiz:
    """A quiz of fixed questions (``question_ids``, in order) or of sampling ``rules`` [(topic, difficulty, count)]."""
    quiz = Quiz(
        organisation=organisation,
        bank=bank,
        title=title,
        selection=Quiz.Selection.SAMPLED if rules else Quiz.Selection.FIXED,
        shuffle_questions=shuffle_questions,
        shuffle_choices=shuffle_choices,
    )
    quiz.full_clean()
    quiz.save()
    quiz_set_questions(quiz=quiz, question_ids=question_ids, rules=rules)
    return quiz


@transaction.atomic
def quiz_update(
    *, quiz: Quiz, fields: dict[str, Any], question_ids: Sequence[int] = (), rules: Sequence[Any] = ()
) -> Quiz:
    """Change a quiz. Attempts already started keep the questions they were given (their items are fixed)."""
    for name in ("title", "bank", "shuffle_questions", "shuffle_choices"):
        if name in fields:
            setattr(quiz, name, fields[name])
    if quiz.bank.organisation_id != quiz.organisation_id:
        raise ValidationError(_("The bank must belong to the quiz's organisation."))
    quiz.full_clean()
    quiz.save()
    quiz_set_questions(quiz=quiz, question_ids=question_ids, rules=rules)
    return quiz


@transaction.atomic
def quiz_set_questions(*, quiz: Quiz, question_ids: Sequence[int] = (), rules: Sequence[Any] = ()) -> None:
    """Replace the quiz's questions or rules. Every question must come from the quiz's bank, and each rule
    must be satisfiable, or a participant would be given a short test."""
    quiz.items.all().delete()
    quiz.rules.all().delete()
    quiz.selection = Quiz.Selection.SAMPLED if rules else Quiz.Selection.FIXED
    quiz.save(update_fields=["selection"])
    if rules:
        taken: dict[tuple[Any, ...], int] = {}
        for topic, difficulty, count in rules:
            pool = quiz.bank.questions.all()
            if topic:
                pool = pool.filter(topic=topic)
            if difficulty:
                pool = pool.filter(difficulty=difficulty)
            need = taken.get((topic, difficulty), 0) + count
            if pool.count() < need:
                raise ValidationError(
                    _("The bank has only %(have)d questions for “%(topic)s”, the rules ask for %(need)d.")
                    % {"have": pool.count(), "topic": topic or _("any topic"), "need": need}
                )
            taken[(topic, difficulty)] = need
            SamplingRule.objects.create(quiz=quiz, topic=topic, difficulty=difficulty or None, count=count)
        return
    ids = list(question_ids)
    found = set(quiz.bank.questions.filter(pk__in=ids).values_list("pk", flat=True))
    if len(found) != len(set(ids)):
        raise ValidationError(_("Every question of a quiz must come from its bank."))
    QuizItem.objects.bulk_create(QuizItem(quiz=quiz, question_id=qid, position=i) for i, qid in enumerate(ids, 1))


def _check_approved(quiz: Quiz) -> None:
    """A contest round gives approved questions only (``quizzes.review``): refuse a fixed list holding a
    question under review, or a rule that the approved questions cannot fill."""
    if quiz.selection == Quiz.Selection.FIXED:
        pending = review.unapproved(quiz.questions.all())
        if pending:
            raise ValidationError(
                _("A contest round uses approved questions only; %(n)d question(s) of this quiz are not approved yet.")
                % {"n": len(pending)}
            )
        return
    for rule in quiz.rules.all():
        pool = quiz.bank.questions.filter(status=Question.Status.APPROVED)
        if rule.topic:
            pool = pool.filter(topic=rule.topic)
        if rule.difficulty:
            pool = pool.filter(difficulty=rule.difficulty)
        if pool.count() < rule.count:
            raise ValidationError(
                _(
                    "A contest round uses approved questions only; the bank has %(have)d approved for “%(topic)s”, "
                    "the rules ask for %(need)d."
                )
                % {"have": pool.count(), "topic": rule.topic or _("any topic"), "need": rule.count}
            )


def quiz_round_configure(*, rnd: Round, quiz: Quiz, settings: dict[str, Any]) -> QuizRound:
    """Create or update the quiz settings of a round of kind quiz."""
    if rnd.kind != Round.Kind.QUIZ:
        raise ValidationError(_("Only a quiz round has quiz settings."))
    if quiz.organisation_id != rnd.event.organisation_id:
        raise ValidationError(_("The quiz must belong to the event's organisation."))
    if rnd.event.kind == Event.Kind.CONTEST:
        _check_approved(quiz)
    quiz_round = QuizRound.objects.filter(round=rnd).first() or QuizRound(round=rnd)
    quiz_round.quiz = quiz
    for name, value in settings.items():
        setattr(quiz_round, name, value)
    quiz_round.full_clean()
    quiz_round.save()
    board_configure(
        rnd=rnd,
        chain=ranking.default_chain(with_prediction=quiz_round.has_prediction, time_key=quiz_round.time_tiebreak),
        hidden_until_close=quiz_round.has_prediction,
        awaits_release=True,
    )
    transaction.on_commit(lambda: _schedule_release(quiz_round))
    return quiz_round


@transaction.atomic
def quiz_rounds_create_weekly(
    *,
    event: Event,
    quiz: Quiz,
    title_pattern: str,
    first_opens_at: dt.datetime,
    weeks: int,
    open_for: dt.timedelta,
    weight: Decimal,
    settings: dict[str, Any],
) -> list[QuizRound]:
    """Create ``weeks`` quiz rounds one week apart from one template (e.g. Monday 16:00 → next Monday 15:00).

    ``title_pattern`` may contain ``{n}`` for the week number. All or nothing: a week that would fall
    outside the event window refuses the whole series.
    """
    if not 1 <= weeks <= 52:
        raise ValidationError(_("A series has between 1 and 52 weeks."))
    created = []
    for week in range(weeks):
        opens_at = first_opens_at + dt.timedelta(weeks=week)
        title = title_pattern.replace("{n}", str(week + 1)) if "{n}" in title_pattern else f"{title_pattern} {week + 1}"
        rnd = round_create(
            event=event,
            fields={
                "title": title,
                "kind": Round.Kind.QUIZ,
                "opens_at": opens_at,
                "closes_at": opens_at + open_for,
                "weight": weight,
            },
        )
        created.append(quiz_round_configure(rnd=rnd, quiz=quiz, settings=settings))
    return created


def accommodation_grant(
    *,
    quiz_round: QuizRound,
    user: Any,
    extra_time_percent: int,
    extra_attempts: int,
    reason: str,
    by: Any,
    now: dt.datetime | None = None,
) -> Accommodation:
    """Log a grant of extra time or attempts. Grants add up for attempts; for time the largest one applies."""
    if not reason.strip():
        raise ValidationError(_("Give the reason for the accommodation."))
    if not (0 <= extra_time_percent <= 200) or not (0 <= extra_attempts <= 10):
        raise ValidationError(_("Extra time is 0–200 % and extra attempts 0–10."))
    grant = Accommodation(
        quiz_round=quiz_round,
        user=user,
        extra_time_percent=extra_time_percent,
        extra_attempts=extra_attempts,
        reason=reason.strip(),
        granted_by=by,
        granted_at=now or timezone.now(),
    )
    grant.full_clean()
    grant.save()
    return grant


def _accommodation(quiz_round: QuizRound, user: Any) -> tuple[int, int]:
    """(extra time %, extra attempts) granted to ``user``: the largest time grant, the sum of attempt grants.
    One query: a start reads it at every rush."""
    granted = Accommodation.objects.filter(quiz_round=quiz_round, user=user)
    grants = list(granted.values_list("extra_time_percent", "extra_attempts"))
    return max((time for time, _attempts in grants), default=0), sum(attempts for _time, attempts in grants)
