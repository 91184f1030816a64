"""The round's and the attempt's clock: when a round is over, when its results are ready, whether an
attempt still accepts answers.

Own module because start, answers, closing and feedback all ask the same clock, and it asks none of them.
"""

from __future__ import annotations

import datetime as dt

from contests.models import Event

from ..models import Attempt, QuizRound


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


def _schedule_release(quiz_round: QuizRound) -> None:
    from ..tasks import release_quiz_round

    release_quiz_round.using(run_after=quiz_round_over_at(quiz_round)).enqueue(quiz_round.pk)


def attempt_is_open(*, attempt: Attempt, now: dt.datetime) -> bool:
    return answers_accepted(
        status=attempt.status, deadline=attempt.deadline, grace_s=attempt.quiz_round.grace_s, now=now
    )


def answers_accepted(*, status: str, deadline: dt.datetime, grace_s: int, now: dt.datetime) -> bool:
    """The one rule of the attempt's clock, on plain values (the autosave reads them from one row): an
    active attempt accepts answers until its deadline plus the round's grace for answers in flight."""
    return status == Attempt.Status.ACTIVE and now <= deadline + dt.timedelta(seconds=grace_s)
