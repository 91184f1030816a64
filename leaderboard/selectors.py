"""Board reads: one ordered query with RANK() over the round's chain; no row is loaded beyond what is shown."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F, QuerySet, Window
from django.db.models.functions import Rank

from contests.models import Round

from . import ranking
from .models import Score


def full_marks_count(*, rnd: Round) -> int:
    return Score.objects.filter(round=rnd, points=F("max_points")).count()


def round_board(*, rnd: Round, chain: Sequence[str], full_marks: int | None) -> QuerySet[Score]:
    """Scores of a round, ranked (``rank`` annotation), best first. Slice it for the top N."""
    ordering = ranking.order_by(chain, full_marks_count=full_marks)
    return (
        Score.objects.filter(round=rnd)
        .select_related("user__profile")
        .annotate(rank=Window(Rank(), order_by=ordering))
        .order_by("rank", "user_id")
    )


def participant_rank(*, rnd: Round, chain: Sequence[str], full_marks: int | None, user) -> Score | None:
    return round_board(rnd=rnd, chain=chain, full_marks=full_marks).filter(user=user).first()
