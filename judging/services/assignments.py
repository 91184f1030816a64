"""Assignments of entries to judges: filling the round, adding one by hand or an extra judge, withdrawing,
and releasing the conflicted ones.

Below the panel and the scores, which both call ``_fill`` and ``_release_conflicts`` after they change who
judges what.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from submissions.models import Entry, ReadingRound

from .. import selectors as judging_selectors
from ..assignment import assign, conflicted, pick_one
from ..models import Assignment, JudgeScore, RoundJudge
from .common import JudgingError, _lock, _not_finalised

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..assignment import Plan


def _end(assignment: Assignment, state: str, now: dt.datetime) -> None:
    assignment.state, assignment.ended_at = state, now
    assignment.save(update_fields=["state", "ended_at"])


def _submitted(assignment: Assignment) -> bool:
    return JudgeScore.objects.filter(assignment=assignment, submitted_at__isnull=False).exists()


def _release_conflicts(*, reading_round: ReadingRound, now: dt.datetime) -> int:
    """Withdraw unscored active assignments that break a conflict rule or a judge's stages, then refill."""
    stage = reading_round.judging_stage
    facts = {f.key: f for f in judging_selectors.judge_facts(reading_round=reading_round, stage=stage)}
    active = list(
        Assignment.objects.filter(entry__reading_round=reading_round, stage=stage, state=Assignment.State.ACTIVE)
        .select_related("entry__user__profile")
        .exclude(score__submitted_at__isnull=False)
    )
    authors = judging_selectors.author_facts([a.entry for a in active])
    released = 0
    for assignment in active:
        fact = facts.get(assignment.judge_id)
        if fact is None or conflicted(fact, authors[assignment.entry_id]):
            _end(assignment, Assignment.State.WITHDRAWN, now)
            released += 1
    if released:
        _fill(reading_round=reading_round, now=now, by=None)
    return released


def _judges_needed(reading_round: ReadingRound) -> int:
    return reading_round.final_judges_per_entry if reading_round.in_final_stage else reading_round.judges_per_entry


def _fill(*, reading_round: ReadingRound, now: dt.datetime, by: Any, entry_ids: Iterable[int] | None = None) -> Plan:
    """Give every entry of the current stage the judges it misses (``judging.assignment.assign``)."""
    stage = reading_round.judging_stage
    candidates = judging_selectors.judgeable_entries(reading_round=reading_round, stage=stage).select_related(
        "user__profile"
    )
    if entry_ids is not None:
        candidates = candidates.filter(pk__in=entry_ids)
    entries = list(candidates)
    pairs = judging_selectors.active_pairs(reading_round=reading_round, stage=stage)
    current: dict[int, set[int]] = {}
    loads: dict[int, int] = {}
    for entry_id, judge_id in pairs:
        current.setdefault(entry_id, set()).add(judge_id)
        loads[judge_id] = loads.get(judge_id, 0) + 1
    needed = _judges_needed(reading_round)
    missing = {e.pk: max(0, needed - len(current.get(e.pk, ()))) for e in entries}
    plan = assign(
        missing=missing,
        judges=judging_selectors.judge_facts(reading_round=reading_round, stage=stage),
        authors=judging_selectors.author_facts(entries),
        loads=loads,
        current=current,
    )
    Assignment.objects.bulk_create(
        Assignment(entry_id=entry_id, judge_id=judge_id, stage=stage, created_at=now, created_by=by)
        for entry_id, judge_id in plan.pairs
    )
    return plan


@transaction.atomic
def assignments_fill(*, reading_round: ReadingRound, by: Any = None, now: dt.datetime | None = None) -> Plan:
    """Assign automatically: each entry of the current stage to k judges, balanced, without conflicts.

    Stable: existing assignments never move, so running it again — after new entries or new judges —
    only fills what is missing. Returns the plan (``short``: entries that could not get k judges).
    """
    now = now or timezone.now()
    reading_round = _lock(reading_round)
    _not_finalised(reading_round)
    return _fill(reading_round=reading_round, now=now, by=by)


def _stage_of_judge(judge: RoundJudge, stage: int) -> None:
    if not judge.sits_in(stage):
        raise JudgingError(_("This judge does not sit in the current stage."))


@transaction.atomic
def assignment_add(
    *, entry: Entry, judge: RoundJudge, by: Any, extra: bool = False, now: dt.datetime | None = None
) -> Assignment:
    """Give ``entry`` to ``judge`` by hand (manual reassignment, or an extra judge). Conflicts still apply."""
    now = now or timezone.now()
    reading_round = _lock(entry.reading_round)
    _not_finalised(reading_round)
    stage = reading_round.judging_stage
    if judge.reading_round_id != reading_round.pk:
        raise JudgingError(_("This judge is not on this round's panel."))
    _stage_of_judge(judge, stage)
    facts = {f.key: f for f in judging_selectors.judge_facts(reading_round=reading_round, stage=stage)}
    author = judging_selectors.author_facts([entry])[entry.pk]
    if conflicted(facts[judge.pk], author):
        raise JudgingError(_("This judge has a conflict of interest with this entry (or gave it back)."))
    assignment, created = Assignment.objects.get_or_create(
        entry=entry, judge=judge, stage=stage, defaults={"created_at": now, "created_by": by, "extra": extra}
    )
    if not created:
        raise JudgingError(_("This judge already has this entry."))
    return assignment


@transaction.atomic
def extra_judge_add(*, entry: Entry, by: Any, now: dt.datetime | None = None) -> Assignment:
    """One click on a disputed entry: one more judge, the least loaded without a conflict."""
    now = now or timezone.now()
    reading_round = _lock(entry.reading_round)
    _not_finalised(reading_round)
    return _add_extra(reading_round=reading_round, entry=entry, by=by, now=now)


def _add_extra(*, reading_round: ReadingRound, entry: Entry, by: Any, now: dt.datetime) -> Assignment:
    stage = reading_round.judging_stage
    pairs = judging_selectors.active_pairs(reading_round=reading_round, stage=stage)
    loads: dict[int, int] = {}
    for _entry_id, judge_id in pairs:
        loads[judge_id] = loads.get(judge_id, 0) + 1
    taken = {judge_id for entry_id, judge_id in pairs if entry_id == entry.pk}
    chosen = pick_one(
        entry_id=entry.pk,
        judges=judging_selectors.judge_facts(reading_round=reading_round, stage=stage),
        author=judging_selectors.author_facts([entry])[entry.pk],
        loads=loads,
        taken=taken,
    )
    if chosen is None:
        raise JudgingError(_("No other judge of the panel can take this entry (all have it or a conflict)."))
    return Assignment.objects.create(
        entry=entry, judge_id=chosen, stage=stage, extra=True, created_at=now, created_by=by
    )


@transaction.atomic
def assignment_withdraw(*, assignment: Assignment, now: dt.datetime | None = None) -> Assignment:
    """Take an entry back from a judge (manual reassignment). A submitted score stays: it is evidence."""
    now = now or timezone.now()
    _not_finalised(_lock(assignment.entry.reading_round))
    if not assignment.is_active:
        raise JudgingError(_("This assignment has already ended."))
    if _submitted(assignment):
        raise JudgingError(_("This judge has already submitted a score for this entry."))
    _end(assignment, Assignment.State.WITHDRAWN, now)
    return assignment
