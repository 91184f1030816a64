"""Answering and submitting: autosave, submit with grading, the stored points and the counting score sent
to the leaderboard, and the regrade ``verify_results`` uses.

Together because the submit, its bulk writes and the counting score are one transaction's work.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from contest_site.db import serialised_writes
from leaderboard.services import ResultsFinal, score_record
from notifications import hooks as notification_hooks

from ..choice_tokens import ChoiceTokens, attempt_scope
from ..grading import AnswerKey, InvalidResponse, clean_response, grade
from ..models import Attempt, AttemptItem, QuizRound
from ..posted import posted_answer
from .clock import answers_accepted, attempt_is_open
from .errors import LateSubmission, QuizError
from .questions import _answer_keys, answer_key

if TYPE_CHECKING:
    from django.db.models import Field

    from contests.models import Round

MAX_PREDICTION = 10_000_000


@dataclass(frozen=True)
class SavedAnswer:
    """What the autosave acknowledges: the answer as stored and when."""

    position: int
    response: Any
    answered_at: dt.datetime


def attempt_answer(**answer: Any) -> SavedAnswer:
    """Autosave one answer in a transaction of its own (``answer_write`` says what ``answer`` holds)."""
    with serialised_writes(), transaction.atomic():
        return answer_write(**answer)


def answer_write(
    *,
    attempt_id: int,
    user: Any,
    position: int,
    response: Any,
    now: dt.datetime | None = None,
    response_is_tokens: bool = False,
    left: int = 0,
) -> SavedAnswer:
    """Autosave one answer, inside the caller's transaction. Idempotent: the same answer twice stores the
    same thing. ``attempt_answer`` is this in a transaction of its own; the autosave door writes the answers
    of one tick in one transaction (``quizzes.autosave``). Every check comes before the one UPDATE, so an
    answer refused here has written nothing and the caller's transaction goes on with the next answer.

    ``user``: the participant, or their id (the autosave door knows only the id, checked from the session).
    ``response_is_tokens``: the response names choices by the attempt's opaque tokens, as every page and
    client does (``choice_tokens``); they are turned into ids here, from the row already read, so that
    the hot path costs no extra query. A raw choice id is then an unknown token: InvalidResponse.
    ``left``: times the page was hidden so far (insights), kept as the highest seen, in the same UPDATE.

    The attempt row is locked until the transaction ends so that a concurrent submit either sees this answer or
    refuses it — an answer acknowledged to the participant is always graded.
    Raises AttemptItem.DoesNotExist for another user's attempt (the view answers 404), QuizError when
    the attempt is closed, InvalidResponse when the answer does not fit the question.

    Why two prepared statements, plain values and no model instance: this runs for every answer of every
    participant, and compiling the ORM's three-table SELECT and its UPDATE was two thirds of an autosave's
    CPU, building model instances from the row another tenth (bench/quiz_submit.py --profile,
    docs/benchmarks.md). The statements are built once from the models' metadata, so a renamed column or
    table still follows the models; the rules are the same functions every other path uses.
    """
    now = now or timezone.now()
    user_id = user if isinstance(user, int) else user.pk
    with connection.cursor() as cursor:
        select, update = _autosave_statements(connection.vendor)
        cursor.execute(select, [attempt_id, user_id, position])
        row = cursor.fetchone()
        if row is None:
            raise AttemptItem.DoesNotExist
        item_id, choice_order, status, deadline, grace_s, question_type, points = row
        if not answers_accepted(status=status, deadline=_row_datetime(deadline), grace_s=grace_s, now=now):
            raise QuizError(_("This attempt is closed: answers are no longer accepted."))
        choice_ids = json.loads(choice_order) if isinstance(choice_order, str) else choice_order  # JSON as text
        if response_is_tokens:
            tokens = ChoiceTokens(scope=attempt_scope(attempt_id), choice_ids=choice_ids)
            response = tokens.response_from_client(question_type, response)
        cleaned = clean_response(_display_key(question_type, Decimal(str(points)), choice_ids), response)
        cursor.execute(
            update,
            [
                _field("response").get_db_prep_save(cleaned, connection),
                _field("answered_at").get_db_prep_save(now, connection),
                left,
                item_id,
            ],
        )
    return SavedAnswer(position=position, response=cleaned, answered_at=now)


def _field(name: str) -> Field[Any, Any]:
    return cast("Field[Any, Any]", AttemptItem._meta.get_field(name))


def _row_datetime(value: Any) -> dt.datetime:
    """A datetime column read by a raw statement: PostgreSQL returns it aware, SQLite naive (UTC) or as text."""
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(parsed, dt.datetime):
        raise ValueError(f"not a datetime: {value!r}")
    # The connection's zone, as the ORM reads it (UTC unless DATABASES sets a TIME_ZONE).
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, connection.timezone)


@functools.cache
def _autosave_statements(vendor: str) -> tuple[str, str]:
    """The autosave's SELECT (item, attempt, grace and question type, the attempt row locked on PostgreSQL)
    and UPDATE (answer, time, and the page-leave count kept as the highest seen), per database vendor."""
    quote = connection.ops.quote_name

    def column(model: Any, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    from ..models import Question

    item, attempt, quiz_round, question = (
        quote(model._meta.db_table) for model in (AttemptItem, Attempt, QuizRound, Question)
    )
    select = (
        f"SELECT i.{column(AttemptItem, 'id')}, i.{column(AttemptItem, 'choice_order')}, "  # noqa: S608 - names only
        f"a.{column(Attempt, 'status')}, a.{column(Attempt, 'deadline')}, r.{column(QuizRound, 'grace_s')}, "
        f"q.{column(Question, 'type')}, q.{column(Question, 'points')} "
        f"FROM {item} i JOIN {attempt} a ON a.{column(Attempt, 'id')} = i.{column(AttemptItem, 'attempt')} "
        f"JOIN {quiz_round} r ON r.{column(QuizRound, 'id')} = a.{column(Attempt, 'quiz_round')} "
        f"JOIN {question} q ON q.{column(Question, 'id')} = i.{column(AttemptItem, 'question')} "
        f"WHERE i.{column(AttemptItem, 'attempt')} = %s AND a.{column(Attempt, 'user')} = %s "
        f"AND i.{column(AttemptItem, 'position')} = %s"
    )
    if vendor == "postgresql":
        select += " FOR UPDATE OF a"
    highest = "GREATEST" if vendor == "postgresql" else "MAX"  # SQLite's two-argument MAX is a scalar
    left_page = column(AttemptItem, "left_page")
    update = (
        f"UPDATE {item} SET {column(AttemptItem, 'response')} = %s, "  # noqa: S608 - names only
        f"{column(AttemptItem, 'answered_at')} = %s, {left_page} = {highest}({left_page}, %s) "
        f"WHERE {column(AttemptItem, 'id')} = %s"
    )
    return select, update


def _key_from_display(item: AttemptItem) -> AnswerKey:
    return _display_key(item.question.type, item.question.points, item.choice_order)


def _display_key(question_type: str, points: Decimal, choice_ids: list[int]) -> AnswerKey:
    """Enough of a key to validate the shape of a response without reading the answer key."""
    return AnswerKey(type=question_type, points=points, choice_ids=tuple(choice_ids), correct_ids=frozenset())


def attempt_submit(
    *,
    attempt_id: int,
    user: Any = None,
    now: dt.datetime | None = None,
    prediction: int | None = None,
    closed_by: str = Attempt.ClosedBy.PARTICIPANT,
    responses: Any = None,
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
        # In position order, not the model's (attempt, position): that one joins the attempt again to sort.
        items = list(attempt.items.select_related("question").only(*_GRADING_FIELDS).order_by("position"))
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


# What grading reads of an attempt's items and their questions (not the texts, images and explanations):
# building twenty full questions was a fifth of a submit's CPU (bench/quiz_submit.py --profile).
_GRADING_FIELDS = (
    "attempt_id",
    "position",
    "choice_order",
    "response",
    "answered_at",
    "points",
    "question__type",
    "question__points",
    "question__partial_credit",
    "question__ignore_diacritics",
)


def _grade_and_close(
    attempt: Attempt, items: list[AttemptItem], *, now: dt.datetime, prediction: int | None, closed_by: str
) -> None:
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
    _record_counting_score(attempt)


def _save_posted_answers(attempt: Attempt, items: list[AttemptItem], form: Any, now: dt.datetime) -> list[int]:
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
    response, answered_at = (_field(name) for name in ("response", "answered_at"))
    table, pk = AttemptItem._meta.db_table, cast(str, AttemptItem._meta.pk.column)
    quote = connection.ops.quote_name
    response_column, answered_column = (quote(cast(str, field.column)) for field in (response, answered_at))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(table)} SET {response_column} = %s, {answered_column} = %s "  # noqa: S608
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
    field = _field("points")
    table, points, pk = AttemptItem._meta.db_table, cast(str, field.column), cast(str, AttemptItem._meta.pk.column)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(table)} SET {quote(points)} = %s WHERE {quote(pk)} = %s",  # noqa: S608 - names only
            [(field.get_db_prep_save(item.points, connection), item.pk) for item in items],
        )


def _record_counting_score(closed: Attempt) -> None:
    """Send the attempt that counts (best / last / first, as the round says) to the leaderboard, once
    ``closed`` is graded and closed.

    A first attempt is the participant's only one when it closes: another can start only once it is closed
    (one active attempt per participant, a constraint), so the common case of a contest (one attempt) reads
    no other attempt."""
    quiz_round, user = closed.quiz_round, closed.user
    submitted = (
        [closed]
        if closed.number == 1
        else list(Attempt.objects.filter(quiz_round=quiz_round, user=user, status=Attempt.Status.SUBMITTED))
    )
    if quiz_round.counting == QuizRound.Counting.FIRST:
        counting = min(submitted, key=lambda a: a.number)
    elif quiz_round.counting == QuizRound.Counting.LAST:
        counting = max(submitted, key=lambda a: a.number)
    else:  # best: more points, then less time, then the earlier attempt
        counting = min(submitted, key=lambda a: (-cast(Decimal, a.score), a.time_used, a.number))
    prediction = next(
        (a.prediction for a in sorted(submitted, key=lambda a: -a.number) if a.prediction is not None), None
    )
    try:
        _score_counting(quiz_round, user, counting, prediction, len(submitted))
    except ResultsFinal:  # an attempt closed after publication stays stored, unscored (correct it if needed)
        logging.getLogger(__name__).warning("results final: round %s, user %s not rescored", quiz_round.pk, user.pk)


def _score_counting(
    quiz_round: QuizRound, user: Any, counting: Any, prediction: int | None, attempts_used: int
) -> None:
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


def recompute_round(rnd: Round) -> dict[int, Decimal]:
    """Each participant's counting points in a quiz round, regraded from the stored answers with today's
    grading code (used by ``manage.py verify_results``)."""
    quiz_round = QuizRound.objects.filter(round=rnd).first()
    if quiz_round is None:
        return {}
    attempts: dict[int, dict[int, list[Any]]] = {}
    items = (
        AttemptItem.objects.filter(attempt__quiz_round=quiz_round, attempt__status=Attempt.Status.SUBMITTED)
        .select_related("attempt", "question")
        .prefetch_related("question__choices")
    )
    for item in items:
        attempt = item.attempt
        per_attempt = attempts.setdefault(attempt.user_id, {}).setdefault(attempt.pk, [attempt, Decimal(0)])
        per_attempt[1] += grade(answer_key(item.question), item.response)
    points: dict[int, Decimal] = {}
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
