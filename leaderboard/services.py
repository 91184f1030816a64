"""The one door into the leaderboard: every round kind records scores here and configures its board."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from contests.models import Round

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

from . import boardcache, ranking
from .final import ResultsFinal, final_writes, round_is_final
from .models import BoardConfig, FrozenRow, Score
from .selectors import round_scope
from .units import units_changed

__all__ = ["ResultsFinal", "board_configure", "board_freeze", "board_unfreeze", "score_record"]

PING_EVERY_S = 1  # a board changes on screen at most once a second, whatever the arrival rate
_SCORE_UPDATED = [
    "points",
    "max_points",
    "submitted_at",
    "time_used_ms",
    "prediction",
    "attempts_used",
    "registered_at",
    "updated_at",
]


def board_configure(
    *, rnd: Round, chain: list[str], hidden_until_close: bool = False, awaits_release: bool | None = None
) -> BoardConfig:
    """Set a round's ranking chain (keys of ``ranking``), whether its board waits for the close, and (when
    given) whether the round's app will say when every score is in (``board_release``)."""
    unknown = set(chain) - set(ranking.KEYS)
    if unknown or not chain or chain[0] != ranking.POINTS:
        raise ValueError(f"a chain starts with points and uses known keys, not {chain}")
    defaults = {"chain": list(chain), "hidden_until_close": hidden_until_close}
    if awaits_release is not None:
        defaults["awaits_release"] = awaits_release
    config, _created = BoardConfig.objects.update_or_create(round=rnd, defaults=defaults)
    return config


@transaction.atomic
def score_record(
    *,
    rnd: Round,
    user: User,
    points: Decimal,
    max_points: Decimal,
    submitted_at: dt.datetime,
    time_used_ms: int | None = None,
    prediction: int | None = None,
    attempts_used: int = 1,
) -> Score:
    """Create or replace the participant's score for the round, with its tie-break fields.

    The caller decides which result counts (best/last/first attempt, judges' aggregate…); this stores it
    and, after commit, tells open board pages that the round's board changed (throttled).

    Raises ``ResultsFinal`` once the round's results or its event's are published: a published result is
    final, and changes only through ``leaderboard.results.result_correct`` (audited). Callers where a late
    write can legitimately happen (a forum moderated after publication…) catch it and log it.
    """
    if round_is_final(rnd):
        raise ResultsFinal(f"results of round {rnd.pk} are published: correct them instead")
    score = Score(
        round=rnd,
        user=user,
        points=points,
        max_points=max_points,
        submitted_at=submitted_at,
        time_used_ms=time_used_ms,
        prediction=prediction,
        attempts_used=attempts_used,
        registered_at=user.date_joined,
    )
    # One INSERT … ON CONFLICT DO UPDATE (both databases) instead of update_or_create's locking read, its
    # savepoints and a second statement: every submit of a deadline rush records its score here.
    with final_writes():  # checked just above: the model guard need not query again
        Score.objects.bulk_create(  # type: ignore[no-untyped-call]  # ScoreQuerySet's guarded override
            [score], update_conflicts=True, unique_fields=["round", "user"], update_fields=_SCORE_UPDATED
        )
    transaction.on_commit(lambda: scores_changed(rnd=rnd))
    return score


def score_remove(*, rnd: Round, users: Iterable[User] | QuerySet[User]) -> int:
    """Remove the scores of ``users`` in the round (a live round whose counting session changed: who did not
    play the chosen session has no score). Tells open board pages after commit, as ``score_record`` does.
    Returns how many scores were removed."""
    removed: int
    removed, _by_model = Score.objects.filter(round=rnd, user__in=users).delete()
    if removed:
        transaction.on_commit(lambda: scores_changed(rnd=rnd))
    return removed


def scores_changed(*, rnd: Round) -> None:
    """After commit of a score write: ping the round's board pages, mark the event's unit boards and the
    round's points histogram ("my rank") stale (both cached, see ``boardcache``; the ping is throttled,
    the staleness marks are not)."""
    units_changed(event_id=rnd.event_id)
    boardcache.mark_changed(round_scope(rnd.pk))
    board_changed(round_id=rnd.pk)


def board_changed(*, round_id: int) -> None:
    """Ping the round's board pages, at most once per second per board across all processes.

    The cache key is the throttle; pages re-fetch once on the ping and once more a second later, so a
    change that arrives inside the quiet second is still shown.
    """
    if not cache.add(f"board-ping:{round_id}", 1, timeout=PING_EVERY_S):
        return
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(board_group(round_id), {"type": "board.changed", "round": round_id})


def board_group(round_id: int) -> str:
    return f"board-{round_id}"


def board_await_release(*, rnd: Round) -> BoardConfig:
    """Say that scores of the round are coming (a live round's counting game is being played, a reading
    round is being judged): its results cannot be published until the round's app calls ``board_release``."""
    from .selectors import DEFAULT_CHAIN

    config, _created = BoardConfig.objects.update_or_create(
        round=rnd,
        defaults={"awaits_release": True, "released_at": None},
        create_defaults={"chain": list(DEFAULT_CHAIN), "awaits_release": True},
    )
    return config


@transaction.atomic
def board_release(*, rnd: Round, now: dt.datetime) -> bool:
    """Say that every score of the round is in (the round's app decides when: a quiz round at
    ``closes_at + grace`` once every attempt is closed, a live round when its counting game ends, a reading
    round when judging is finalised). Opens a board hidden until close and lets the prediction key apply.
    A release that still holds is kept; one made stale by a reopening or an extension is renewed. True if
    this call released the board."""
    from .selectors import board_released

    config = BoardConfig.objects.select_for_update().select_related("round__event").filter(round=rnd).first()
    if config is None:
        config = board_await_release(rnd=rnd)
    if config.released_at is not None and board_released(config=config, now=max(now, config.released_at)):
        return False
    config.released_at = now
    config.save(update_fields=["released_at"])
    transaction.on_commit(lambda: board_changed(round_id=rnd.pk))
    return True


@transaction.atomic
def board_freeze(*, rnd: Round, by: User, now: dt.datetime | None = None) -> BoardConfig:
    """Freeze the public board: the public keeps seeing the standings of this moment (participants still
    see their own current score). Freezing again replaces the snapshot with the current standings."""
    from .selectors import board_config, top

    now = now or timezone.now()
    config = board_config(rnd=rnd)
    config.frozen_at, config.frozen_by = now, by
    config.save()
    config.frozen_rows.all().delete()
    rows = top(config=config, now=now, limit=10_000_000)
    FrozenRow.objects.bulk_create(
        (
            FrozenRow(
                config=config,
                user_id=s.score.user_id,
                rank=s.rank,
                points=s.score.points,
                time_used_ms=s.score.time_used_ms,
            )
            for s in rows
        ),
        batch_size=1000,
    )
    return config


@transaction.atomic
def board_unfreeze(*, rnd: Round) -> None:
    config = BoardConfig.objects.filter(round=rnd).first()
    if config is not None:
        config.frozen_rows.all().delete()
        config.frozen_at = config.frozen_by = None
        config.save(update_fields=["frozen_at", "frozen_by"])
