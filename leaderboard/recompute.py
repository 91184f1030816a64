"""Recomputing a round's scores from raw data, for ``manage.py verify_results``.

The leaderboard cannot know how a quiz or a reading round is scored, so each round kind registers a
function that recomputes ``{user_id: points}`` from what it stores (answers, judge scores, votes). The
app that runs the kind registers it in its AppConfig.ready(); the leaderboard imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

RECOMPUTERS: dict[str, Callable] = {}


def register(kind: str, function: Callable) -> None:
    RECOMPUTERS[kind] = function


def recompute(rnd) -> dict[int, Decimal] | None:
    function = RECOMPUTERS.get(rnd.kind)
    return None if function is None else function(rnd)
