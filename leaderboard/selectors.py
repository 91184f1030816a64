"""Board reads. The top of a board is one ORDER BY … LIMIT on an index; a participant's rank is one count of
the rows strictly better (``ranking.better_than``). Neither loads the whole board, whatever its size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum

from contests.models import Event, EventTransition, Round

from . import boardcache, ranking
from .models import BoardConfig, FrozenRow, Score

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet

DEFAULT_CHAIN = [ranking.POINTS, ranking.TIME_USED, ranking.SUBMITTED_AT, ranking.REGISTERED_AT]


@dataclass
class Standing:
    rank: int
    score: Score


def board_config(*, rnd: Round) -> BoardConfig:
    """The round's board settings (an unsaved default when the round's app has not configured any)."""
    try:
        config = BoardConfig.objects.get(round=rnd)  # one per round; ``first`` would add an ORDER BY
    except BoardConfig.DoesNotExist:
        return BoardConfig(round=rnd, chain=DEFAULT_CHAIN)
    config.round = rnd  # the caller's round, with its event if it came with one: not read a second time
    return config


def board_released(*, config: BoardConfig, now: dt.datetime) -> bool:
    """Every score of the round is in: the round's app said so (``board_release``) and that moment has come.

    For a quiz round that is ``closes_at + grace`` with every attempt closed. Until then the number of
    full marks is unknown, so the prediction key cannot be applied, and a board hidden until close stays shut.
    A release goes stale when the round can take entries again: the round's close moved past it while the
    event is open (a window extended), or the event was reopened after it (an early close undone). The
    round's app then releases it again when the round is over once more (``board_release`` renews it).
    """
    released = config.released_at
    if released is None or now < released:
        return False
    rnd = config.round
    if released < rnd.closes_at and rnd.event.state == Event.State.OPEN:
        return False
    last_opened: Any = getattr(rnd, "event_last_opened_at", _NOT_READ)  # annotated by readers of many rounds
    if last_opened is _NOT_READ:
        reopened = EventTransition.objects.filter(event_id=rnd.event_id, to_state=Event.State.OPEN, at__gt=released)
        return not reopened.exists()
    return last_opened is None or last_opened <= released


_NOT_READ = object()


def with_last_opening(rounds: QuerySet[Round]) -> QuerySet[Round]:
    """``rounds`` annotated with their event's latest opening (``event_last_opened_at``), which
    ``board_released`` then reads instead of asking the database once per round."""
    latest = EventTransition.objects.filter(event_id=OuterRef("event_id"), to_state=Event.State.OPEN).order_by("-at")
    return rounds.annotate(event_last_opened_at=Subquery(latest.values("at")[:1]))


def scores_final(*, config: BoardConfig, now: dt.datetime) -> bool:
    """Are the round's scores final, so that its results may be published? A round whose app releases it
    (a quiz round) waits for that release; other kinds are final once the round's app stops writing."""
    return not config.awaits_release or board_released(config=config, now=now)


def board_is_public(*, config: BoardConfig, now: dt.datetime) -> bool:
    """May the public see this board, or any number derived from the round's scores? A board hidden until
    close (a prediction round) opens only once the round's scores are final (``board_released``): before that
    the number of full marks would help the people still allowed to send a prediction."""
    return not config.hidden_until_close or board_released(config=config, now=now)


def full_marks_count(*, rnd: Round) -> int:
    return Score.objects.filter(round=rnd, points=F("max_points")).count()


def applied_full_marks(*, config: BoardConfig, now: dt.datetime) -> int | None:
    """The real number of full marks once it may be used (every score in), else None (key left out)."""
    if ranking.PREDICTION not in config.chain or not board_released(config=config, now=now):
        return None
    return full_marks_count(rnd=config.round)


def scores(*, config: BoardConfig, where: Q | None = None) -> QuerySet[Score]:
    """The round's scores, optionally narrowed (a category, a region): ranks are then within that subset."""
    rows = Score.objects.filter(round=config.round)
    return rows.filter(where) if where is not None else rows


def top(
    *, config: BoardConfig, now: dt.datetime, limit: int = 100, offset: int = 0, where: Q | None = None
) -> list[Standing]:
    """The best ``limit`` standings after ``offset``, with competition ranks."""
    full_marks = applied_full_marks(config=config, now=now)
    rows = list(
        scores(config=config, where=where)
        .select_related("user__profile")
        .order_by(*ranking.order_by(config.chain, full_marks_count=full_marks), "user_id")[offset : offset + limit]
    )
    if not rows:
        return []
    keys = [ranking.values_of(s, config.chain, full_marks_count=full_marks) for s in rows]
    first_rank = rank_of(config=config, score=rows[0], now=now, full_marks=full_marks, where=where) if offset else 1
    ranks = ranking.competition_ranks(keys)
    return [Standing(rank=first_rank + r - 1, score=s) for r, s in zip(ranks, rows, strict=True)]


def rank_of(
    *, config: BoardConfig, score: Score, now: dt.datetime, full_marks: int | None = None, where: Q | None = None
) -> int:
    """1 + the number of scores strictly better by the chain: "you are 1,245th of 38,000"."""
    if full_marks is None:
        full_marks = applied_full_marks(config=config, now=now)
    annotations, better = ranking.better_than(score, config.chain, full_marks_count=full_marks)
    if where is not None:
        return 1 + int(scores(config=config, where=where).annotate(**annotations).filter(better).count())
    # Every chain starts with points: the scores ahead are those with more points (from the round's
    # cached points histogram, not a count over most of a million rows for the bottom of the board) and
    # those with as many points that win on the next keys (an index range of one points value).
    tied_ahead: int = scores(config=config).filter(points=score.points).annotate(**annotations).filter(better).count()
    return 1 + points_above(rnd=config.round, points=score.points, now=now) + tied_ahead


def points_above(*, rnd: Round, points: Decimal, now: dt.datetime) -> int:
    """How many of the round's scores have more than ``points``: from a histogram of the round's points
    (one row per distinct value) cached like the unit boards (``boardcache``: at most ``REFRESH_S`` behind
    the latest score)."""
    histogram: list[tuple[Decimal, int]] = boardcache.cached(
        key=f"board-points:{rnd.pk}",
        scope=round_scope(rnd.pk),
        now=now,
        compute=lambda: sorted(
            Score.objects.filter(round=rnd).order_by().values_list("points").annotate(n=Count("pk")),
            reverse=True,
        ),
    )
    return sum(n for value, n in histogram if value > points)


def round_scope(round_id: int) -> str:
    return f"round:{round_id}"


def standing_of(
    *, config: BoardConfig, user: Any, now: dt.datetime, where: Q | None = None, with_names: bool = True
) -> Standing | None:
    """``user``'s score and rank; ``with_names``: with the user and profile a board shows (a result page shows
    only the points and the rank)."""
    rows = scores(config=config, where=where).filter(user=user)
    try:  # one score per participant and round; ``first`` would add an ORDER BY
        score = (rows.select_related("user__profile") if with_names else rows).get()
    except Score.DoesNotExist:
        return None
    return Standing(rank=rank_of(config=config, score=score, now=now, where=where), score=score)


def neighbours(*, config: BoardConfig, standing: Standing, now: dt.datetime, around: int = 2) -> list[Standing]:
    """The participant and about ``around`` standings either side, for "you and your neighbours"."""
    start = max(0, standing.rank - 1 - around)
    return top(config=config, now=now, limit=standing.rank - start + around, offset=start)


def board_size(*, config: BoardConfig, where: Q | None = None) -> int:
    return scores(config=config, where=where).count()


def frozen_top(*, config: BoardConfig, limit: int = 100) -> list[FrozenRow]:
    return list(config.frozen_rows.select_related("user__profile")[:limit])


def counts_by_category(*, rnd: Round) -> dict[str, int]:
    return dict(Score.objects.filter(round=rnd).values_list("user__profile__category").annotate(n=Count("pk")))


# --- Event totals -------------------------------------------------------------------------------


def _weighted_points() -> Sum:
    return Sum(F("points") * F("round__weight"), output_field=DecimalField(max_digits=14, decimal_places=2))


def event_totals(*, event: Event, exclude_rounds: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Participants of an event by their weighted total (Σ round points × round weight), best first, with
    competition ranks. One grouped query."""
    rows = cast(
        "list[dict[str, Any]]",
        list(
            Score.objects.filter(round__event=event)
            .exclude(round__in=exclude_rounds)
            .values("user_id", "user__profile__full_name", "user__profile__public_name", "user__username")
            .annotate(total=_weighted_points(), rounds=Count("pk"))
            .order_by("-total", "user_id")
        ),
    )
    for row, rank in zip(rows, ranking.competition_ranks([(r["total"],) for r in rows]), strict=True):
        row["rank"] = rank
        row["name"] = _public_name(row)
    return rows


def event_standing(*, event: Event, user: Any, exclude_rounds: Iterable[Any] = ()) -> dict[str, Any] | None:
    mine = (
        Score.objects.filter(round__event=event, user=user)
        .exclude(round__in=exclude_rounds)
        .aggregate(total=_weighted_points())
    )["total"]
    if mine is None:
        return None
    better = (
        Score.objects.filter(round__event=event)
        .exclude(round__in=exclude_rounds)
        .values("user_id")
        .annotate(total=_weighted_points())
        .filter(total__gt=mine)
        .count()
    )
    everyone = Score.objects.filter(round__event=event).exclude(round__in=exclude_rounds).values("user_id").distinct()
    return {"total": mine, "rank": better + 1, "of": everyone.count()}


def _public_name(row: dict[str, Any]) -> str:
    from contests.models import Profile

    profile = Profile(
        full_name=row["user__profile__full_name"] or "",
        public_name=row["user__profile__public_name"] or Profile.PublicName.INITIALS,
    )
    if not profile.full_name:
        return str(row["user__username"])
    return profile.display_name


# --- Hidden rounds ------------------------------------------------------------------------------


def closed_board_rounds(*, now: dt.datetime, event: Event | None = None) -> list[int]:
    """Ids of the rounds (of ``event``, or of the whole site) whose board is not public at ``now``.

    Every public aggregate (event totals, unit boards, statistics, the playground's weekly board, forum
    points) leaves these rounds out, so that no number derived from a hidden round's scores (a total, an
    average, a histogram bar, a participant count) reaches the public before the board itself does.
    ``board_is_public`` stays the one rule; this only asks it about every round, in one query.
    """
    rounds = with_last_opening(Round.objects.select_related("board_config", "event").order_by("pk"))
    if event is not None:
        rounds = rounds.filter(event=event)
    closed = []
    for rnd in rounds:
        try:
            config = rnd.board_config
        except BoardConfig.DoesNotExist:
            config = BoardConfig(round=rnd, chain=DEFAULT_CHAIN)
        if not board_is_public(config=config, now=now):
            closed.append(rnd.pk)
    return closed


# --- Reads for the apps that feed the leaderboard ----------------------------------------------------
# Other apps read scores through these (never ``leaderboard.models.Score`` directly): one place says what a
# recorded score means, and the board's indexes serve every such read.


def scored_user_ids(*, rnd: Round) -> set[int]:
    """The users who have a score row in ``rnd`` (any points, zero included)."""
    return set(Score.objects.filter(round=rnd).values_list("user_id", flat=True))


def has_score(*, rnd: Round, user: Any) -> bool:
    return Score.objects.filter(round=rnd, user_id=user.pk).exists()


def took_part_in_event(*, event: Event, user: Any) -> bool:
    """Whether ``user`` has a recorded score in any round of ``event``."""
    return Score.objects.filter(round__event=event, user_id=user.pk).exists()


def scores_of_round(*, rnd: Round, positive_only: bool = False) -> QuerySet[Score]:
    """The round's score rows (``positive_only``: only those with points), for a board built elsewhere."""
    rows = Score.objects.filter(round=rnd)
    return rows.filter(points__gt=0) if positive_only else rows


def scores_in_event(
    *, event: Event, kind: str | None = None, user: Any = None, scored_out_of_something: bool = False
) -> QuerySet[Score]:
    """Score rows of ``event``'s rounds, optionally of one round kind, one user, and only rows of rounds with
    a maximum (``max_points > 0``: shares of the maximum can be computed)."""
    rows = Score.objects.filter(round__event=event)
    if kind is not None:
        rows = rows.filter(round__kind=kind)
    if user is not None:
        rows = rows.filter(user=user)
    if scored_out_of_something:
        rows = rows.filter(max_points__gt=0)
    return rows


def any_score_in(*, rounds: Any, kind: str | None = None) -> bool:
    rows = Score.objects.filter(round__in=rounds)
    return (rows.filter(round__kind=kind) if kind is not None else rows).exists()
