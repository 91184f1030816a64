"""Published means final: the guard below the services.

Once a round's results (or its event's) are published, its scores and the published rows change only through
the leaderboard's services (``score_record`` refuses, ``result_correct`` audits). The models call ``check_*``
from ``save()`` and from their querysets' bulk writers, so that a forgotten ``Score.objects.update(...)``
anywhere in the code raises instead of silently moving a published result. The services open
``final_writes()`` after they have made their own check (and logged the correction), which is the only way
past the guard. A model-level guard (not a database trigger) keeps the rule readable in Python, portable
between SQLite and PostgreSQL, and testable; ``tests/test_final.py`` also greps that no other module writes
these models.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_open: ContextVar[bool] = ContextVar("leaderboard_final_writes", default=False)


class ResultsFinal(Exception):
    """The round's results (or its event's) are published: its scores change only by an audited correction."""


@contextmanager
def final_writes() -> Iterator[None]:
    """Let a leaderboard service that checked (or audited) its write through the guard."""
    token = _open.set(True)
    try:
        yield
    finally:
        _open.reset(token)


def writes_open() -> bool:
    return _open.get()


def final_round_ids(round_ids: Iterable[int]) -> set[int]:
    """The rounds among ``round_ids`` whose own results or whose event's results are published."""
    from contests.models import Round

    from .models import ResultSet

    ids = set(round_ids)
    if not ids:
        return set()
    published_rounds = set(ResultSet.objects.filter(round_id__in=ids).values_list("round_id", flat=True))
    published_events = ResultSet.objects.filter(event__isnull=False).values("event_id")
    return published_rounds | set(
        Round.objects.filter(pk__in=ids, event_id__in=published_events).values_list("pk", flat=True)
    )


def round_is_final(rnd) -> bool:
    """One query: are the round's results, or its event's, published?"""
    from django.db.models import Q

    from .models import ResultSet

    return ResultSet.objects.filter(Q(round_id=rnd.pk) | Q(event_id=rnd.event_id)).exists()


def check_rounds(round_ids: Iterable[int]) -> None:
    """Refuse a write to the scores of a round whose results are final (unless a service opened the guard)."""
    if writes_open():
        return
    final = final_round_ids(round_ids)
    if final:
        raise ResultsFinal(f"results of round(s) {sorted(final)} are published: correct them instead")


def check_published() -> None:
    """Refuse a write to a published snapshot (every ResultSet/ResultRow is one) outside the services."""
    if not writes_open():
        raise ResultsFinal("published results change only through leaderboard.results.result_correct")
