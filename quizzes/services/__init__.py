"""Every write of the quizzes app: banks and imports, quiz rounds, attempts (start, autosave, submit), practice.

One clock: each service takes ``now`` so that every check in a request agrees. Attempts are closed by
the server at the deadline whether or not the browser comes back: lazily on the next read or write of
the attempt, by a job per round and half-minute that closes every attempt due by then (scheduled at start,
once per process), and by ``manage.py sweep_attempts``.

The package re-exports the public services so that ``from quizzes import services`` and
``services.attempt_submit(...)`` keep working; each concern lives in its own module, below which it
imports only the modules it builds on (errors, questions, quizzes, clock, attempts, answers, closing,
feedback, practice — never this ``__init__``).
"""

from .answers import MAX_PREDICTION, answer_write, attempt_answer, attempt_submit, recompute_round
from .attempts import CLOSE_JOB_EVERY_S, attempt_start, attempt_start_problems

# Private, but live.services draws a live round's questions as an attempt does.
from .attempts import _draw_questions as _draw_questions
from .clock import attempt_is_open, quiz_round_is_over, quiz_round_over_at, quiz_round_results_ready
from .closing import attempt_close_if_expired, attempts_close_expired, attempts_sweep, quiz_round_release_if_over
from .errors import LateSubmission, QuizError
from .feedback import review_allowed
from .practice import practice_answer
from .questions import (
    QUESTION_IMAGE_SIZE,
    answer_key,
    bank_create,
    bank_update,
    question_delete,
    question_in_use,
    question_save,
    question_to_parsed,
    questions_import,
)
from .quizzes import (
    accommodation_grant,
    quiz_create,
    quiz_round_configure,
    quiz_rounds_create_weekly,
    quiz_set_questions,
    quiz_update,
)

__all__ = [
    "CLOSE_JOB_EVERY_S",
    "MAX_PREDICTION",
    "QUESTION_IMAGE_SIZE",
    "LateSubmission",
    "QuizError",
    "accommodation_grant",
    "answer_key",
    "answer_write",
    "attempt_answer",
    "attempt_close_if_expired",
    "attempt_is_open",
    "attempt_start",
    "attempt_start_problems",
    "attempt_submit",
    "attempts_close_expired",
    "attempts_sweep",
    "bank_create",
    "bank_update",
    "practice_answer",
    "question_delete",
    "question_in_use",
    "question_save",
    "question_to_parsed",
    "questions_import",
    "quiz_create",
    "quiz_round_configure",
    "quiz_round_is_over",
    "quiz_round_over_at",
    "quiz_round_release_if_over",
    "quiz_round_results_ready",
    "quiz_rounds_create_weekly",
    "quiz_set_questions",
    "quiz_update",
    "recompute_round",
    "review_allowed",
]
