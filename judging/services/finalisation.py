"""Stages and finalisation: closing the shortlist, finalising the round into the leaderboard, the sweep that
finalises at the end of the window, and the regrade ``verify_results`` uses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contests.models import Event
from leaderboard import ranking
from leaderboard.services import ResultsFinal, board_configure, board_release, score_record
from submissions.models import Entry, ReadingRound

from .. import scoring
from .. import selectors as judging_selectors
from ..models import Criterion
from .assignments import _fill
from .common import JudgingError, _lock, _not_finalised

if TYPE_CHECKING:
    from contests.models import Round

BOARD_CHAIN = [ranking.POINTS, ranking.SUBMITTED_AT, ranking.REGISTERED_AT]


@transaction.atomic
def shortlist_close(*, reading_round: ReadingRound, by: Any, now: dt.datetime | None = None) -> set[int]:
    """End the shortlist stage: the best ``shortlist_size`` entries (ties at the boundary included) go to
    the final stage and are assigned to its judges — never to one who scored them in the shortlist stage."""
    now = now or timezone.now()
    reading_round = _lock(reading_round)
    _not_finalised(reading_round)
    if not reading_round.two_stage or reading_round.in_final_stage:
        raise JudgingError(_("This round has no shortlist stage to close."))
    first = judging_selectors.stage_scores(reading_round=reading_round, stage=ReadingRound.SHORTLIST_STAGE)
    finalists = scoring.shortlist(first, reading_round.shortlist_size)
    if not finalists:
        raise JudgingError(_("No entry has a judge score yet: there is nothing to shortlist."))
    Entry.objects.filter(reading_round=reading_round).update(shortlisted=False)
    Entry.objects.filter(pk__in=finalists).update(shortlisted=True)
    reading_round.judging_stage = ReadingRound.FINAL_STAGE
    reading_round.save(update_fields=["judging_stage"])
    _fill(reading_round=reading_round, now=now, by=by)
    return finalists


def finalise_problems(*, reading_round: ReadingRound) -> list[str]:
    if reading_round.judging_finalised_at is not None:
        return [_("Judging of this round is already finalised.")]
    if reading_round.round.event.state == Event.State.RESULTS_PUBLISHED:
        return [_("The event's results are published: change scores through corrections.")]
    if not Criterion.objects.filter(reading_round=reading_round).exists():
        return [_("The round has no rubric.")]
    return []


@transaction.atomic
def judging_finalise(
    *, reading_round: ReadingRound, by: Any = None, now: dt.datetime | None = None
) -> dict[int, Decimal]:
    """Close judging and record every judged author's final score on the leaderboard (user id → points).

    Entries no judge scored are recorded nowhere (the progress board lists them before anyone finalises).
    The board ranks by points, then the earlier entry, then the earlier registration.
    """
    now = now or timezone.now()
    reading_round = _lock(reading_round)
    problems = finalise_problems(reading_round=reading_round)
    if problems:
        raise JudgingError(" ".join(problems))
    results = judging_selectors.round_results(reading_round=reading_round)
    rnd = reading_round.round
    board_configure(rnd=rnd, chain=BOARD_CHAIN)
    entries = Entry.objects.in_bulk([entry_id for entry_id, _points in results.points.values()])
    users = get_user_model().objects.in_bulk(list(results.points))
    try:
        for user_id, (entry_id, points) in results.points.items():
            score_record(
                rnd=rnd,
                user=users[user_id],
                points=points,
                max_points=results.max_total,
                submitted_at=entries[entry_id].created_at,
            )
    except ResultsFinal as exc:
        raise JudgingError(_("The results are final: correct them on the results page.")) from exc
    board_release(rnd=rnd, now=max(now, rnd.closes_at))
    reading_round.judging_finalised_at = now
    reading_round.save(update_fields=["judging_finalised_at"])
    return {user_id: points for user_id, (_entry, points) in results.points.items()}


def judging_sweep(*, now: dt.datetime | None = None) -> int:
    """Finalise the rounds whose judging window has ended and that asked for it; return how many."""
    now = now or timezone.now()
    due = ReadingRound.objects.filter(
        finalise_at_close=True, judging_finalised_at__isnull=True, judging_closes_at__lte=now
    ).select_related("round__event")
    done = 0
    for reading_round in due:
        if finalise_problems(reading_round=reading_round):
            continue
        judging_finalise(reading_round=reading_round, now=now)
        done += 1
    return done


def recompute_round(rnd: Round) -> dict[int, Decimal]:
    """``verify_results`` for a reading round: each author's points from the stored marks and votes, with
    today's scoring code ({} until judging is finalised: nothing is recorded before)."""
    reading_round = ReadingRound.objects.filter(round=rnd).first()
    if reading_round is None or reading_round.judging_finalised_at is None:
        return {}
    results = judging_selectors.round_results(reading_round=reading_round)
    return {user_id: points for user_id, (_entry, points) in results.points.items()}
