"""Starting an attempt: the start checks, the question draw and display order, and scheduling its close.

Apart from answering because the start runs once per attempt at a rush and owns the close job it schedules.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from contest_site.db import serialised_writes
from contests.models import Event
from contests.participation import round_participation_problems

from .. import review
from ..importing.base import ORDERING, SHORT_TEXT
from ..models import Attempt, AttemptItem, Choice, Question, Quiz, QuizRound
from .closing import attempt_close_if_expired
from .errors import QuizError
from .quizzes import _accommodation


def attempt_start_problems(
    *,
    quiz_round: QuizRound,
    user: Any,
    now: dt.datetime,
    attempts: list[Attempt] | None = None,
    accommodation: tuple[int, int] | None = None,
) -> list[str]:
    """Why ``user`` cannot start an attempt now (empty list = they can). Checked on the server at start.

    ``attempts`` (the user's attempts in the round) and ``accommodation`` (``_accommodation``) when the caller
    has read them already: the rules page and the start read them once."""
    rnd, event = quiz_round.round, quiz_round.round.event
    if event.state != Event.State.OPEN:
        return [_("The event is not open.")]
    if now < rnd.opens_at:
        return [_("The round has not opened yet.")]
    if now >= rnd.closes_at:
        return [_("The round is closed.")]
    problems = round_participation_problems(rnd=rnd, user=user, now=now)
    if problems:
        return problems
    _extra_time, extra_attempts = accommodation or _accommodation(quiz_round, user)
    if attempts is None:
        used = Attempt.objects.filter(quiz_round=quiz_round, user=user, status=Attempt.Status.SUBMITTED).count()
    else:
        used = sum(1 for attempt in attempts if attempt.status == Attempt.Status.SUBMITTED)
    if used >= quiz_round.attempts_allowed + extra_attempts:
        return [_("You have used all your attempts in this round.")]
    return []


# What a draw reads of its questions: their id, type (the display order) and review status. Both callers
# (an attempt's start, a live game's creation) keep only these; the texts are read when a page shows them.
_DRAWN_FIELDS = ("question__id", "question__type", "question__status")


def _draw_questions(quiz: Quiz, rng: random.Random, *, approved_only: bool = False) -> list[Question]:
    """The questions of one attempt: the fixed list (shuffled if asked) or a fresh draw per rule.

    ``approved_only`` (a contest's round): rules draw among approved questions only, and a fixed list that
    still holds a question under review is refused rather than given without it (``quizzes.review``)."""
    if quiz.selection == Quiz.Selection.FIXED:
        items = quiz.items.select_related("question").only("quiz", "position", "question", *_DRAWN_FIELDS)
        questions = [item.question for item in items.order_by("position")]
        if approved_only and review.unapproved(questions):
            raise QuizError(_("This round's questions are still being reviewed. Please come back later."))
    else:
        questions = []
        drawn: set[int] = set()
        for rule in quiz.rules.all():
            pool = quiz.bank.questions.exclude(pk__in=drawn)
            if approved_only:
                pool = pool.filter(status=Question.Status.APPROVED)
            if rule.topic:
                pool = pool.filter(topic=rule.topic)
            if rule.difficulty:
                pool = pool.filter(difficulty=rule.difficulty)
            ids = sorted(pool.values_list("pk", flat=True))  # sorted: the same seed draws the same questions
            if approved_only and len(ids) < rule.count:
                raise QuizError(_("This round's questions are still being reviewed. Please come back later."))
            picked = rng.sample(ids, min(rule.count, len(ids)))
            drawn.update(picked)
            by_id = Question.objects.only(*(name.removeprefix("question__") for name in _DRAWN_FIELDS)).in_bulk(picked)
            questions += [by_id[pk] for pk in picked]
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    return questions


def attempt_start(
    *,
    quiz_round: QuizRound,
    user: Any,
    now: dt.datetime | None = None,
    seed: int | None = None,
    client: dict[str, Any] | None = None,
) -> Attempt:
    """Start an attempt, or return the participant's active one (a second tab resumes, never doubles).

    The deadline is fixed now by the server: time limit (plus granted extra time), never past the round's close.
    ``client``: ``ip_address`` and ``user_agent`` of the request, kept for the organisers' attempt report.
    """
    now, client = now or timezone.now(), client or {}
    attempts = list(Attempt.objects.filter(quiz_round=quiz_round, user=user))  # a handful, read once
    for attempt in attempts:
        attempt.quiz_round = quiz_round
    active = next((attempt for attempt in attempts if attempt.status == Attempt.Status.ACTIVE), None)
    if active is not None and not attempt_close_if_expired(attempt=active, now=now):
        return active
    accommodation = _accommodation(quiz_round, user)
    problems = attempt_start_problems(
        quiz_round=quiz_round, user=user, now=now, attempts=attempts, accommodation=accommodation
    )
    if problems:
        raise QuizError(" ".join(problems))
    seed = secrets.randbits(48) if seed is None else seed
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw from a secret seed, not a secret itself
    in_contest = quiz_round.round.event.kind == Event.Kind.CONTEST
    questions = _draw_questions(quiz_round.quiz, rng, approved_only=in_contest)
    if not questions:
        raise QuizError(_("This quiz has no questions yet."))
    extra_time, _extra_attempts = accommodation
    limit = dt.timedelta(seconds=quiz_round.time_limit_s * (100 + extra_time) / 100)
    deadline = min(now + limit, quiz_round.round.closes_at)
    choices_by_question: dict[int, list[int]] = {}
    choices = Choice.objects.filter(question_id__in=[question.pk for question in questions]).order_by("position", "pk")
    for question_id, choice_id in choices.values_list("question_id", "pk"):
        choices_by_question.setdefault(question_id, []).append(choice_id)
    try:
        with serialised_writes(), transaction.atomic():
            number = (Attempt.objects.filter(quiz_round=quiz_round, user=user).aggregate(n=Max("number"))["n"] or 0) + 1
            attempt = Attempt.objects.create(
                quiz_round=quiz_round, user=user, number=number, started_at=now, deadline=deadline, seed=seed, **client
            )
            AttemptItem.objects.bulk_create(
                AttemptItem(
                    attempt=attempt,
                    question=question,
                    position=position,
                    choice_order=_display_order(
                        question, choices_by_question.get(question.pk, []), quiz_round.quiz.shuffle_choices, rng
                    ),
                )
                for position, question in enumerate(questions, 1)
            )
            transaction.on_commit(lambda: _schedule_close(attempt))
    except IntegrityError:
        # Another request started one at the same moment: the constraint kept one; resume it.
        return Attempt.objects.get(quiz_round=quiz_round, user=user, status=Attempt.Status.ACTIVE)
    return attempt


def _display_order(question: Question, choice_ids: list[int], shuffle: bool, rng: random.Random) -> list[int]:
    if question.type == SHORT_TEXT:
        return []  # accepted answers are never shown
    order = list(choice_ids)
    if shuffle or question.type == ORDERING:  # an ordering shown in order would give the answer away
        rng.shuffle(order)
    return order


CLOSE_JOB_EVERY_S = 30
_closes_scheduled: set[tuple[int, int]] = set()  # (quiz round, due slot) this process has already enqueued


def _close_slot(due: dt.datetime) -> int:
    """The half-minute slot a close job covers: the first slot boundary at or after ``due``, never before."""
    return math.ceil(due.timestamp() / CLOSE_JOB_EVERY_S)


def _schedule_close(attempt: Attempt) -> None:
    """Make sure a job closes this attempt at its deadline + grace if the browser never comes back.

    Why per round and half-minute, not per attempt: at a rush every start wrote its own job row, a second
    write per start competing for SQLite's one writer (docs/benchmarks.md). One ``close_expired_attempts`` job
    per round and slot, due at the slot's end (at most 30 s after the attempt's deadline + grace, never
    before), closes every attempt due by then. The set only spares repeats within this process: another
    process or a restart enqueues the slot again, which is harmless (closing is idempotent), and the sweep
    stays the safety net."""
    from ..tasks import close_expired_attempts

    grace = dt.timedelta(seconds=attempt.quiz_round.grace_s)
    slot = _close_slot(attempt.deadline + grace)
    key = (attempt.quiz_round_id, slot)
    if key in _closes_scheduled:
        return
    if len(_closes_scheduled) > 10_000:  # a long-running process: forget the slots already past
        past = _close_slot(timezone.now())
        _closes_scheduled.difference_update({k for k in _closes_scheduled if k[1] < past})
    due = dt.datetime.fromtimestamp(slot * CLOSE_JOB_EVERY_S, tz=dt.UTC)
    close_expired_attempts.using(run_after=due).enqueue(attempt.quiz_round_id)
    _closes_scheduled.add(key)
