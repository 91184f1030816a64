"""Every write of the quizzes app: banks and imports, quiz rounds, attempts (start, autosave, submit), practice.

One clock: each service takes ``now`` so that every check in a request agrees. Attempts are closed by
the server at the deadline whether or not the browser comes back: lazily on the next read or write of
the attempt, by a job per round and half-minute that closes every attempt due by then (scheduled at start,
once per process), and by ``manage.py sweep_attempts``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from contest_site.db import serialised_writes
from contests.images import normalise_image
from contests.models import Event, EventTransition, Round
from contests.participation import round_participation_problems
from contests.services import round_create
from leaderboard import ranking
from leaderboard.services import ResultsFinal, board_configure, board_release, score_record
from notifications import hooks as notification_hooks

from . import review
from .choice_tokens import ChoiceTokens, attempt_scope
from .grading import AnswerKey, InvalidResponse, clean_response, grade
from .importing.base import ORDERING, SHORT_TEXT, ParsedQuestion
from .models import (
    Accommodation,
    Attempt,
    AttemptItem,
    Choice,
    PracticeAnswer,
    Question,
    QuestionBank,
    Quiz,
    QuizItem,
    QuizRound,
    SamplingRule,
)
from .posted import posted_answer

MAX_PREDICTION = 10_000_000
QUESTION_IMAGE_SIZE = (1200, 900)


class QuizError(Exception):
    """A refusal the participant or organiser should read (window closed, quota used, attempt closed…)."""


class LateSubmission(QuizError):
    """The submit arrived after deadline + grace: the attempt was closed at its deadline, the late part refused."""


# --- Banks and questions ------------------------------------------------------------------------


def bank_create(
    *, organisation, title: str, description: str = "", is_public: bool = False, slug: str = ""
) -> QuestionBank:
    stem = slugify(slug or title)[:60] or "bank"
    candidate = stem
    while QuestionBank.objects.filter(slug=candidate).exists():
        candidate = f"{stem}-{get_random_string(4, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    bank = QuestionBank(
        organisation=organisation, title=title, description=description, is_public=is_public, slug=candidate
    )
    bank.full_clean()
    bank.save()
    return bank


@transaction.atomic
def questions_import(*, bank: QuestionBank, questions: list[ParsedQuestion], by=None) -> int:
    """Add parsed questions to ``bank`` as drafts by ``by`` (their author; None for the operator's scripts).
    Refuses (imports nothing) if any question carries an error."""
    invalid = [q for q in questions if q.errors]
    if invalid:
        first = invalid[0]
        raise ValidationError(_("%(where)s: %(error)s") % {"where": first.where, "error": "; ".join(first.errors)})
    for parsed in questions:
        question_save(bank=bank, parsed=parsed, by=by)
    return len(questions)


def question_in_use(question: Question) -> bool:
    return AttemptItem.objects.filter(question=question).exists()


@transaction.atomic
def question_save(
    *, bank: QuestionBank, parsed: ParsedQuestion, question: Question | None = None, image=None, by=None
) -> Question:
    """Create (or update) one question from a validated ``ParsedQuestion``. A new question is a draft by
    ``by`` (``quizzes.review``: someone else reviews and approves it before a contest may use it).

    A question already given in an attempt keeps what grades it (type, choices, points, partial credit,
    ignoring diacritics): changing any of them would grade two attempts of one round differently, or
    silently change results graded already. Its wording, explanation and links may still be fixed.
    """
    if parsed.errors:
        raise ValidationError("; ".join(parsed.errors))
    question = question or Question(bank=bank, created_by=by, status=Question.Status.DRAFT)
    locked = question.pk is not None and question_in_use(question)
    if locked and _grading_signature(parsed) != _stored_grading_signature(question):
        raise ValidationError(
            _(
                "This question has been answered in an attempt: its type, choices, points, partial credit "
                "and diacritics setting can no longer change, so that every attempt is graded alike. "
                "Create a new question instead."
            )
        )
    question.type = parsed.type
    question.text = parsed.text.strip()
    question.topic = parsed.topic.strip()[:120]
    question.difficulty = parsed.difficulty
    question.explanation = parsed.explanation.strip()
    question.resource_url = parsed.resource_url
    question.resource_title = parsed.resource_title[:200]
    question.partial_credit = parsed.partial_credit
    question.ignore_diacritics = parsed.ignore_diacritics
    question.points = Decimal(str(parsed.points))
    question.time_limit_s = parsed.time_limit_s
    if image is False:
        question.image.delete(save=False)
    elif image is not None:
        cleaned = normalise_image(image, max_size=QUESTION_IMAGE_SIZE, name_stem=get_random_string(16))
        question.image.save(cleaned.name, cleaned, save=False)
    question.full_clean(exclude=["bank"])
    question.save()
    if not locked:
        question.choices.all().delete()
        Choice.objects.bulk_create(
            Choice(question=question, text=choice.text.strip()[:500], is_correct=choice.is_correct, position=index)
            for index, choice in enumerate(parsed.choices)
        )
    return question


def _grading_signature(parsed: ParsedQuestion) -> tuple:
    """Everything the grading reads from a question, as the form sends it."""
    choices = [(c.text.strip(), bool(c.is_correct)) for c in parsed.choices]
    return (
        parsed.type,
        choices,
        Decimal(str(parsed.points)),
        bool(parsed.partial_credit),
        bool(parsed.ignore_diacritics),
    )


def _stored_grading_signature(question: Question) -> tuple:
    choices = [(c.text, c.is_correct) for c in question.choices.order_by("position", "pk")]
    return question.type, choices, Decimal(question.points), question.partial_credit, question.ignore_diacritics


def question_delete(*, question: Question) -> None:
    if question_in_use(question) or QuizItem.objects.filter(question=question).exists():
        raise ValidationError(_("This question is used by a quiz or an attempt and cannot be deleted."))
    question.delete()


def question_to_parsed(question: Question) -> ParsedQuestion:
    """The inverse of the import, for the Excel export and the editor."""
    from .importing.base import ParsedChoice

    return ParsedQuestion(
        where=str(question.pk),
        type=question.type,
        text=question.text,
        choices=[ParsedChoice(text=c.text, is_correct=c.is_correct) for c in question.choices.all()],
        topic=question.topic,
        difficulty=question.difficulty,
        explanation=question.explanation,
        resource_url=question.resource_url,
        resource_title=question.resource_title,
        partial_credit=question.partial_credit,
        ignore_diacritics=question.ignore_diacritics,
        time_limit_s=question.time_limit_s,
        points=float(question.points),
    )


def answer_key(question: Question) -> AnswerKey:
    """The grading key of a question. Needs ``question.choices`` (prefetch it when grading many)."""
    choices = sorted(question.choices.all(), key=lambda c: (c.position, c.pk))
    return AnswerKey(
        type=question.type,
        points=question.points,
        choice_ids=tuple(c.pk for c in choices),
        correct_ids=frozenset(c.pk for c in choices if c.is_correct),
        accepted_texts=tuple(c.text for c in choices) if question.type == SHORT_TEXT else (),
        partial_credit=question.partial_credit,
        ignore_diacritics=question.ignore_diacritics,
    )


def _answer_keys(questions: list[Question]) -> dict[int, AnswerKey]:
    """``answer_key`` of each question, their choices read in one query without model instances: a submit
    grades 20 questions, and ``prefetch_related("question__choices")`` built a queryset per question (a third
    of the grading's CPU, bench/quiz_submit.py --profile)."""
    rows: dict[int, list[tuple]] = {question.pk: [] for question in questions}
    choices = Choice.objects.filter(question_id__in=list(rows)).order_by("position", "pk")
    for question_id, pk, is_correct, text in choices.values_list("question_id", "pk", "is_correct", "text"):
        rows[question_id].append((pk, is_correct, text))
    keys = {}
    for question in questions:
        own = rows[question.pk]
        keys[question.pk] = AnswerKey(
            type=question.type,
            points=question.points,
            choice_ids=tuple(pk for pk, _right, _text in own),
            correct_ids=frozenset(pk for pk, right, _text in own if right),
            accepted_texts=tuple(text for _pk, _right, text in own) if question.type == SHORT_TEXT else (),
            partial_credit=question.partial_credit,
            ignore_diacritics=question.ignore_diacritics,
        )
    return keys


# --- Quizzes and quiz rounds --------------------------------------------------------------------


@transaction.atomic
def quiz_create(
    *,
    organisation,
    bank: QuestionBank,
    title: str,
    question_ids=(),
    rules=(),
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
def quiz_update(*, quiz: Quiz, fields: dict, question_ids=(), rules=()) -> Quiz:
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
def quiz_set_questions(*, quiz: Quiz, question_ids=(), rules=()) -> None:
    """Replace the quiz's questions or rules. Every question must come from the quiz's bank, and each rule
    must be satisfiable, or a participant would be given a short test."""
    quiz.items.all().delete()
    quiz.rules.all().delete()
    quiz.selection = Quiz.Selection.SAMPLED if rules else Quiz.Selection.FIXED
    quiz.save(update_fields=["selection"])
    if rules:
        taken: dict[tuple, int] = {}
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


def quiz_round_configure(*, rnd: Round, quiz: Quiz, settings: dict) -> QuizRound:
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
    settings: dict,
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
    user,
    extra_time_percent: int,
    extra_attempts: int,
    reason: str,
    by,
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


def _accommodation(quiz_round: QuizRound, user) -> tuple[int, int]:
    """(extra time %, extra attempts) granted to ``user``: the largest time grant, the sum of attempt grants.
    One query: a start reads it at every rush."""
    grants = Accommodation.objects.filter(quiz_round=quiz_round, user=user)
    grants = list(grants.values_list("extra_time_percent", "extra_attempts"))
    return max((time for time, _attempts in grants), default=0), sum(attempts for _time, attempts in grants)


# --- Attempts -----------------------------------------------------------------------------------


def attempt_start_problems(
    *,
    quiz_round: QuizRound,
    user,
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


def _draw_questions(quiz: Quiz, rng: random.Random, *, approved_only: bool = False) -> list[Question]:
    """The questions of one attempt: the fixed list (shuffled if asked) or a fresh draw per rule.

    ``approved_only`` (a contest's round): rules draw among approved questions only, and a fixed list that
    still holds a question under review is refused rather than given without it (``quizzes.review``)."""
    if quiz.selection == Quiz.Selection.FIXED:
        questions = [item.question for item in quiz.items.select_related("question").order_by("position")]
        if approved_only and review.unapproved(questions):
            raise QuizError(_("This round's questions are still being reviewed. Please come back later."))
    else:
        questions, drawn = [], set()
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
            by_id = Question.objects.in_bulk(picked)
            questions += [by_id[pk] for pk in picked]
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    return questions


def attempt_start(
    *, quiz_round: QuizRound, user, now: dt.datetime | None = None, seed: int | None = None, client: dict | None = None
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
    for choice in Choice.objects.filter(question__in=questions).order_by("position", "pk"):
        choices_by_question.setdefault(choice.question_id, []).append(choice.pk)
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
    from .tasks import close_expired_attempts

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


def attempts_close_expired(*, quiz_round: QuizRound, now: dt.datetime | None = None) -> int:
    """Close every attempt of ``quiz_round`` whose deadline + grace has passed (the scheduled close job)."""
    now = now or timezone.now()
    closed = 0
    expired = Attempt.objects.filter(quiz_round=quiz_round, status=Attempt.Status.ACTIVE, deadline__lt=now)
    for attempt in expired.select_related("quiz_round"):
        if attempt_close_if_expired(attempt=attempt, now=now):
            closed += 1
    return closed


def quiz_round_over_at(quiz_round: QuizRound) -> dt.datetime:
    """The end of the round's clock: its close plus the grace given to answers in flight. Nothing sent later
    counts, and nothing about the round's scores or answers is public before (see ``quiz_round_results_ready``)."""
    return quiz_round.round.closes_at + dt.timedelta(seconds=quiz_round.grace_s)


def quiz_round_is_over(*, quiz_round: QuizRound, now: dt.datetime) -> bool:
    """No answer can count any more: the round's clock ran out (close + grace), or the organiser closed the
    event (no attempt can start) and every attempt still open is past its own deadline + grace."""
    if now >= quiz_round_over_at(quiz_round):
        return True
    if quiz_round.round.event.state == Event.State.OPEN:
        return False
    running = Attempt.objects.filter(quiz_round=quiz_round, status=Attempt.Status.ACTIVE).select_related("quiz_round")
    return not any(attempt_is_open(attempt=attempt, now=now) for attempt in running)


def quiz_round_results_ready(*, quiz_round: QuizRound, now: dt.datetime) -> bool:
    """The round is over and every attempt of it is closed and graded: reviews with answers may open."""
    return (
        quiz_round_is_over(quiz_round=quiz_round, now=now)
        and not Attempt.objects.filter(quiz_round=quiz_round, status=Attempt.Status.ACTIVE).exists()
    )


def quiz_round_release_if_over(*, quiz_round: QuizRound, now: dt.datetime | None = None) -> bool:
    """At ``closes_at + grace``: close the attempts still open (their deadline and grace have passed by
    then), then tell the leaderboard that every score is in, which opens a board hidden until close and
    lets the prediction key apply. Idempotent; True once the round is released."""
    now = now or timezone.now()
    if not quiz_round_is_over(quiz_round=quiz_round, now=now):
        return False
    for attempt_id in Attempt.objects.filter(quiz_round=quiz_round, status=Attempt.Status.ACTIVE).values_list(
        "pk", flat=True
    ):
        attempt_submit(attempt_id=attempt_id, now=now, closed_by=Attempt.ClosedBy.DEADLINE)
    board_release(rnd=quiz_round.round, now=now)
    return True


def _schedule_release(quiz_round: QuizRound) -> None:
    from .tasks import release_quiz_round

    release_quiz_round.using(run_after=quiz_round_over_at(quiz_round)).enqueue(quiz_round.pk)


def attempt_is_open(*, attempt: Attempt, now: dt.datetime) -> bool:
    return attempt.status == Attempt.Status.ACTIVE and now <= attempt.deadline + dt.timedelta(
        seconds=attempt.quiz_round.grace_s
    )


def attempt_answer(
    *,
    attempt_id: int,
    user,
    position: int,
    response,
    now: dt.datetime | None = None,
    response_is_tokens: bool = False,
    left: int = 0,
) -> AttemptItem:
    """Autosave one answer. Idempotent: the same answer twice stores the same thing.

    ``response_is_tokens``: the response names choices by the attempt's opaque tokens, as every page and
    client does (``choice_tokens``); they are turned into ids here, from the item already loaded, so that
    the hot path costs no extra query. A raw choice id is then an unknown token: InvalidResponse.
    ``left``: times the page was hidden so far (insights), kept as the highest seen, in the same UPDATE.

    The attempt row is locked for the duration so that a concurrent submit either sees this answer or
    refuses it — an answer acknowledged to the participant is always graded.
    Raises AttemptItem.DoesNotExist for another user's attempt (the view answers 404), QuizError when
    the attempt is closed, InvalidResponse when the answer does not fit the question.
    """
    now = now or timezone.now()
    with serialised_writes(), transaction.atomic():
        item = (
            AttemptItem.objects.select_related("attempt__quiz_round", "question")
            # Only what the checks read: compiling the SQL for every column of three joined tables was a
            # third of an autosave's CPU (bench/quiz_submit.py --profile).
            .only(*_ANSWER_FIELDS)
            .select_for_update(of=("attempt",))
            .get(attempt_id=attempt_id, attempt__user=user, position=position)
        )
        if not attempt_is_open(attempt=item.attempt, now=now):
            raise QuizError(_("This attempt is closed: answers are no longer accepted."))
        if response_is_tokens:
            tokens = ChoiceTokens(scope=attempt_scope(item.attempt), choice_ids=item.choice_order)
            response = tokens.response_from_client(item.question.type, response)
        key = _key_from_display(item)
        item.response = clean_response(key, response)
        item.answered_at = now
        left_page = {"left_page": Greatest("left_page", Value(left))} if left else {}  # the page's hidden-count
        AttemptItem.objects.filter(pk=item.pk).update(response=item.response, answered_at=now, **left_page)
    return item


_ANSWER_FIELDS = (
    "position",
    "choice_order",
    "attempt__user",
    "attempt__status",
    "attempt__deadline",
    "attempt__quiz_round__grace_s",
    "question__type",
    "question__points",
)


def _key_from_display(item: AttemptItem) -> AnswerKey:
    """Enough of a key to validate the shape of a response without reading the answer key."""
    return AnswerKey(
        type=item.question.type,
        points=item.question.points,
        choice_ids=tuple(item.choice_order),
        correct_ids=frozenset(),
    )


def attempt_submit(
    *,
    attempt_id: int,
    user=None,
    now: dt.datetime | None = None,
    prediction: int | None = None,
    closed_by: str = Attempt.ClosedBy.PARTICIPANT,
    responses=None,
) -> Attempt:
    """Grade and close an attempt, then record the round's counting score. Submitting twice is harmless.

    ``responses``: the answers as the attempt page's form posts them (``q3=<token>``, ``q4=<token>&q4=…``,
    ``q5_<token>=<place>``: anything with ``get`` and ``getlist``, e.g. ``request.POST``), saved with the
    grading in the same transaction — one call, one write of the answers that changed since their autosave
    (at a deadline everyone submits at once, with the answers autosave already has). An answer that does not
    fit its question is left as it was and its position listed in ``attempt.answers_refused``. Answers sent
    after deadline + grace are not saved.

    An attempt closed by the deadline is stamped with its deadline, so time used never exceeds the limit.
    A prediction out of range (InvalidResponse) still saves the posted answers but leaves the attempt open.
    """
    now = now or timezone.now()
    bad_prediction = prediction is not None and not 0 <= prediction <= MAX_PREDICTION
    if bad_prediction and responses is None:
        raise InvalidResponse("prediction out of range")
    with serialised_writes(), transaction.atomic():
        attempts = Attempt.objects.select_for_update().select_related("quiz_round__round", "user")
        if user is not None:
            attempts = attempts.filter(user=user)
        attempt = attempts.get(pk=attempt_id)
        attempt.answers_refused = []
        if attempt.status == Attempt.Status.SUBMITTED:
            return attempt
        late_prediction = None
        if closed_by == Attempt.ClosedBy.PARTICIPANT and not attempt_is_open(attempt=attempt, now=now):
            # One clock: nothing sent after deadline + grace counts, the prediction and the posted answers
            # included. The attempt is closed as the deadline would have closed it, with the answers saved in time.
            closed_by, late_prediction, prediction, responses = Attempt.ClosedBy.DEADLINE, prediction, None, None
            bad_prediction = False
        items = list(attempt.items.select_related("question"))
        if responses is not None:
            attempt.answers_refused = _save_posted_answers(attempt, items, responses, now)
        if not bad_prediction:
            _grade_and_close(attempt, items, now=now, prediction=prediction, closed_by=closed_by)
            notification_hooks.attempt_closed(attempt=attempt)  # tells the owner when the deadline closed it
    if bad_prediction:  # the posted answers are kept; the attempt stays open for a valid prediction
        raise InvalidResponse("prediction out of range")
    if late_prediction is not None:
        raise LateSubmission(
            _(
                "The time was up: your answers saved before the deadline were graded, "
                "but the prediction arrived too late and does not count."
            )
        )
    return attempt


def _grade_and_close(attempt: Attempt, items: list[AttemptItem], *, now, prediction, closed_by) -> None:
    total = max_total = Decimal(0)
    keys = _answer_keys([item.question for item in items])
    for item in items:
        item.points = grade(keys[item.question_id], item.response)
        total += item.points
        max_total += item.question.points
    _store_points(items)
    attempt.status = Attempt.Status.SUBMITTED
    attempt.closed_by = closed_by
    attempt.submitted_at = min(now, attempt.deadline)
    attempt.score, attempt.max_score = total, max_total
    if attempt.quiz_round.has_prediction and prediction is not None:
        attempt.prediction = prediction
    attempt.save(update_fields=["status", "closed_by", "submitted_at", "score", "max_score", "prediction"])
    _record_counting_score(attempt.quiz_round, attempt.user)


def _save_posted_answers(attempt: Attempt, items: list[AttemptItem], form, now: dt.datetime) -> list[int]:
    """Store the form's answers that differ from the saved ones, in one statement; return the positions of
    those that do not fit their question (left unchanged). The form names choices by the attempt's tokens."""
    scope = attempt_scope(attempt)
    changed, refused = [], []
    for item in items:
        tokens = ChoiceTokens(scope=scope, choice_ids=item.choice_order)
        posted = posted_answer(item.question.type, f"q{item.position}", list(tokens.by_id.values()), form)
        if posted is None:
            continue  # nothing posted for it: the saved answer stands
        try:
            response = clean_response(_key_from_display(item), tokens.response_from_client(item.question.type, posted))
        except InvalidResponse:
            refused.append(item.position)
            continue
        if response != item.response:
            item.response, item.answered_at = response, now
            changed.append(item)
    if changed:
        _store_answers(changed)
    return refused


def _store_answers(items: list[AttemptItem]) -> None:
    """The changed answers of a submit in one prepared UPDATE (the caller holds the writer lock)."""
    response, answered_at = (AttemptItem._meta.get_field(name) for name in ("response", "answered_at"))
    table, pk = AttemptItem._meta.db_table, AttemptItem._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(table)} SET {quote(response.column)} = %s, {quote(answered_at.column)} = %s "  # noqa: S608
            f"WHERE {quote(pk)} = %s",
            [
                (
                    response.get_db_prep_save(item.response, connection),
                    answered_at.get_db_prep_save(item.answered_at, connection),
                    item.pk,
                )
                for item in items
            ],
        )


def _store_points(items: list[AttemptItem]) -> None:
    """One prepared UPDATE run for every item. Why not ``bulk_update``: its CASE WHEN statement is compiled
    anew for each submit, which cost more than the grading itself, and the caller holds the writer lock."""
    field = AttemptItem._meta.get_field("points")
    table, points, pk = AttemptItem._meta.db_table, field.column, AttemptItem._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(table)} SET {quote(points)} = %s WHERE {quote(pk)} = %s",  # noqa: S608 - names only
            [(field.get_db_prep_save(item.points, connection), item.pk) for item in items],
        )


def _record_counting_score(quiz_round: QuizRound, user) -> None:
    """Send the attempt that counts (best / last / first, as the round says) to the leaderboard."""
    submitted = list(Attempt.objects.filter(quiz_round=quiz_round, user=user, status=Attempt.Status.SUBMITTED))
    if quiz_round.counting == QuizRound.Counting.FIRST:
        counting = min(submitted, key=lambda a: a.number)
    elif quiz_round.counting == QuizRound.Counting.LAST:
        counting = max(submitted, key=lambda a: a.number)
    else:  # best: more points, then less time, then the earlier attempt
        counting = min(submitted, key=lambda a: (-a.score, a.time_used, a.number))
    prediction = next(
        (a.prediction for a in sorted(submitted, key=lambda a: -a.number) if a.prediction is not None), None
    )
    try:
        _score_counting(quiz_round, user, counting, prediction, len(submitted))
    except ResultsFinal:  # an attempt closed after publication stays stored, unscored (correct it if needed)
        logging.getLogger(__name__).warning("results final: round %s, user %s not rescored", quiz_round.pk, user.pk)


def _score_counting(quiz_round: QuizRound, user, counting, prediction, attempts_used: int) -> None:
    score_record(
        rnd=quiz_round.round,
        user=user,
        points=counting.score,
        max_points=counting.max_score,
        submitted_at=counting.submitted_at,
        time_used_ms=int(counting.time_used.total_seconds() * 1000),
        prediction=prediction,
        attempts_used=attempts_used,
    )


def attempt_close_if_expired(*, attempt: Attempt, now: dt.datetime) -> bool:
    """Close an attempt whose deadline (plus grace) has passed; True if it is (now) closed."""
    if attempt.status == Attempt.Status.SUBMITTED:
        return True
    if attempt_is_open(attempt=attempt, now=now):
        return False
    attempt_submit(attempt_id=attempt.pk, now=now, closed_by=Attempt.ClosedBy.DEADLINE)
    attempt.refresh_from_db()
    return True


def attempts_sweep(*, now: dt.datetime | None = None) -> int:
    """Close every expired attempt and release every round that is over (the safety net behind the
    per-attempt deadline job and the per-round release job)."""
    now = now or timezone.now()
    closed = 0
    for attempt in Attempt.objects.filter(status=Attempt.Status.ACTIVE, deadline__lt=now).select_related("quiz_round"):
        if not attempt_is_open(attempt=attempt, now=now):
            attempt_submit(attempt_id=attempt.pk, now=now, closed_by=Attempt.ClosedBy.DEADLINE)
            closed += 1
    reopened_since = EventTransition.objects.filter(
        event_id=OuterRef("round__event_id"),
        to_state=Event.State.OPEN,
        at__gt=OuterRef("round__board_config__released_at"),
    )
    unreleased = (
        QuizRound.objects.filter(
            Q(round__board_config__released_at__isnull=True)
            | Q(round__board_config__released_at__lt=F("round__closes_at"))
            | Q(Exists(reopened_since))
        )
        .filter(Q(round__closes_at__lt=now) | ~Q(round__event__state=Event.State.OPEN))
        .exclude(round__event__state=Event.State.DRAFT)
        .select_related("round__event")
    )
    for quiz_round in unreleased:
        quiz_round_release_if_over(quiz_round=quiz_round, now=now)
    return closed


def review_allowed(*, attempt: Attempt, now: dt.datetime) -> bool:
    """May the participant see right answers and explanations for this attempt now? (the feedback policy)"""
    if attempt.status != Attempt.Status.SUBMITTED:
        return False
    quiz_round = attempt.quiz_round
    policy = quiz_round.feedback
    if policy == QuizRound.Feedback.IMMEDIATE and not _key_helps_a_retake(attempt):
        return True
    if policy in (QuizRound.Feedback.IMMEDIATE, QuizRound.Feedback.AFTER_CLOSE):
        # Not at closes_at: answers are accepted until closes_at + grace, and a straggler still inside it
        # must not meet a classmate's review with the right answers.
        return quiz_round_results_ready(quiz_round=attempt.quiz_round, now=now)
    return False


def _key_helps_a_retake(attempt: Attempt) -> bool:
    """In a contest, a participant with attempts left who read the right answers could retake with them:
    "immediate" feedback then waits, as "after close" does. Playgrounds keep it (learning is the point)."""
    quiz_round = attempt.quiz_round
    if quiz_round.round.event.kind != Event.Kind.CONTEST:
        return False
    _extra_time, extra_attempts = _accommodation(quiz_round, attempt.user)
    return quiz_round.attempts_allowed + extra_attempts > 1


# --- Practice -----------------------------------------------------------------------------------


def practice_answer(
    *, question: Question, user, response, now: dt.datetime | None = None, token_scope: str | None = None
) -> Decimal:
    """Grade a practice answer (any public bank, no limits) and, for a signed-in user, log it for progress.

    ``token_scope``: the response names choices by their tokens in that scope (the practice page's), as the
    page sent them; a raw choice id is then refused (InvalidResponse).
    """
    key = answer_key(question)
    if token_scope is not None:
        response = ChoiceTokens(scope=token_scope, choice_ids=key.choice_ids).response_from_client(
            question.type, response
        )
    points = grade(key, clean_response(key, response))
    if user is not None and user.is_authenticated:
        PracticeAnswer.objects.create(
            user=user,
            question=question,
            topic=question.topic,
            correct=points == question.points,
            answered_at=now or timezone.now(),
        )
    return points


def recompute_round(rnd) -> dict[int, Decimal]:
    """Each participant's counting points in a quiz round, regraded from the stored answers with today's
    grading code (used by ``manage.py verify_results``)."""
    quiz_round = QuizRound.objects.filter(round=rnd).first()
    if quiz_round is None:
        return {}
    attempts: dict[int, list[tuple]] = {}
    items = (
        AttemptItem.objects.filter(attempt__quiz_round=quiz_round, attempt__status=Attempt.Status.SUBMITTED)
        .select_related("attempt", "question")
        .prefetch_related("question__choices")
    )
    for item in items:
        attempt = item.attempt
        per_attempt = attempts.setdefault(attempt.user_id, {}).setdefault(attempt.pk, [attempt, Decimal(0)])
        per_attempt[1] += grade(answer_key(item.question), item.response)
    points = {}
    for user_id, by_attempt in attempts.items():
        graded = list(by_attempt.values())
        if quiz_round.counting == QuizRound.Counting.FIRST:
            chosen = min(graded, key=lambda pair: pair[0].number)
        elif quiz_round.counting == QuizRound.Counting.LAST:
            chosen = max(graded, key=lambda pair: pair[0].number)
        else:
            chosen = min(graded, key=lambda pair: (-pair[1], pair[0].time_used, pair[0].number))
        points[user_id] = chosen[1]
    return points
