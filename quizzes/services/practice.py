"""Practice: grading an answer from a public bank outside any round, and logging it for progress."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ..choice_tokens import ChoiceTokens
from ..grading import clean_response, grade
from ..models import PracticeAnswer, Question
from .questions import answer_key


def practice_answer(
    *, question: Question, user: Any, response: Any, now: dt.datetime | None = None, token_scope: str | None = None
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
