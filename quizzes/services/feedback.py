"""The feedback policy: when a participant may see right answers and explanations for an attempt.

Apart because it reads the clock and the accommodations but writes nothing.
"""

from __future__ import annotations

import datetime as dt

from contests.models import Event

from ..models import Attempt, QuizRound
from .clock import quiz_round_results_ready
from .quizzes import _accommodation


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
