"""Re-checking a published snapshot from what it stores, for ``manage.py verify_results``.

Totals are recomputed from each row's per-round points (× the round weights for an event), then every prize
list is re-ranked by the set's chain from the stored keys and its prizes re-awarded (a prize an organiser
fixed by an audited correction stays, as ``results.result_correct`` keeps it): a rank, prize or total that
differs is reported. A total changed by an audited correction is reported as such, not as a difference:
the correction log says who changed it, when and why.
"""

from __future__ import annotations

from decimal import Decimal

from . import standings
from .models import Correction, ResultSet


def corrected_totals(result_set: ResultSet) -> dict[int, Correction]:
    """The latest logged correction of each row's total (row id → correction)."""
    latest = {}
    for correction in Correction.objects.filter(result_set=result_set, field="total").order_by("at", "pk"):
        latest[correction.row_id] = correction
    return latest


def snapshot_problems(result_set: ResultSet, *, notes: list[str] | None = None) -> list[str]:
    """Differences between the snapshot and what its own stored values give; audited corrections go to
    ``notes`` (if given) instead."""
    rows = list(result_set.rows.all())
    weights = {}
    if result_set.event_id:
        weights = {str(pk): w for pk, w in result_set.event.rounds.values_list("pk", "weight")}
    corrected = corrected_totals(result_set)
    label = f"results {result_set.pk} ({result_set})"
    problems = []
    for row in rows:
        if result_set.round_id:
            want = Decimal(row.round_points.get(str(result_set.round_id), "NaN"))
        else:
            want = sum(
                (Decimal(p) * weights.get(rid, Decimal(0)) for rid, p in row.round_points.items()), Decimal(0)
            ).quantize(Decimal("0.01"))
        audited = corrected.get(row.pk)
        if audited is not None and Decimal(audited.new_value) == row.total == Decimal(row.keys[0]):
            if row.total != want and notes is not None:
                notes.append(
                    f"{label}, user {row.user_id}: total {row.total} set by an audited correction ({audited.reason})"
                )
            continue
        if row.total != want or Decimal(row.keys[0]) != row.total:
            problems.append(f"{label}, user {row.user_id}: total {row.total} ≠ recomputed {want}")
    entries = [
        standings.Ranked(user_id=r.user_id, section=r.section, keys=standings.load(result_set.chain, r.keys))
        for r in rows
    ]
    fixed = {r.user_id: r.prize for r in rows if r.prize_fixed}
    by_user = {r.user_id: r for r in rows}
    for entry in standings.rank_and_award(
        entries, chain=result_set.chain, prizes=result_set.prizes, fixed=fixed, section_prizes=result_set.section_prizes
    ):
        row = by_user[entry.user_id]
        if row.rank != entry.rank:
            problems.append(f"{label}, user {row.user_id}: rank {row.rank} ≠ recomputed {entry.rank}")
        if row.prize != entry.prize:
            problems.append(f"{label}, user {row.user_id}: prize {row.prize or '—'} ≠ recomputed {entry.prize or '—'}")
    return problems
