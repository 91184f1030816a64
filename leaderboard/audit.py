"""Re-checking a published snapshot from what it stores, for ``manage.py verify_results``.

Totals are recomputed from each row's per-round points (× the round weights for an event), then every prize
list is re-ranked by the set's chain from the stored keys and its prizes re-awarded: a rank, prize or total
that differs (other than a prize the organiser overrode by an audited correction) is reported.
"""

from __future__ import annotations

from decimal import Decimal

from . import standings
from .models import Correction, ResultSet


def snapshot_problems(result_set: ResultSet) -> list[str]:
    rows = list(result_set.rows.all())
    weights = {}
    if result_set.event_id:
        weights = {str(pk): w for pk, w in result_set.event.rounds.values_list("pk", "weight")}
    overrides = _prize_overrides(result_set)
    label = f"results {result_set.pk} ({result_set})"
    problems = []
    for row in rows:
        if result_set.round_id:
            want = Decimal(row.round_points.get(str(result_set.round_id), "NaN"))
        else:
            want = sum(
                (Decimal(p) * weights.get(rid, Decimal(0)) for rid, p in row.round_points.items()), Decimal(0)
            ).quantize(Decimal("0.01"))
        if row.total != want or Decimal(row.keys[0]) != row.total:
            problems.append(f"{label}, user {row.user_id}: total {row.total} ≠ recomputed {want}")
    entries = [
        standings.Ranked(user_id=r.user_id, section=r.section, keys=standings.load(result_set.chain, r.keys))
        for r in rows
    ]
    by_user = {r.user_id: r for r in rows}
    for entry in standings.rank_and_award(entries, chain=result_set.chain, prizes=result_set.prizes):
        row = by_user[entry.user_id]
        if row.rank != entry.rank:
            problems.append(f"{label}, user {row.user_id}: rank {row.rank} ≠ recomputed {entry.rank}")
        if row.prize != entry.prize and overrides.get(row.pk) != row.prize:
            problems.append(f"{label}, user {row.user_id}: prize {row.prize or '—'} ≠ recomputed {entry.prize or '—'}")
    return problems


def _prize_overrides(result_set: ResultSet) -> dict[int, str]:
    """The prize each row was last given by a logged correction, if any (ordered by time)."""
    overrides = {}
    for row_id, new in Correction.objects.filter(result_set=result_set, field="prize").values_list(
        "row_id", "new_value"
    ):
        overrides[row_id] = "" if new == "—" else new
    return overrides
