"""Publishing results: prizes by rank, an immutable snapshot, audited corrections, certificates.

Prizes follow the rank, and people tied on a rank share its prize (a tie at the last first-prize place
gives everyone tied a first prize), because splitting equal results by an arbitrary order is unfair.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from contests.models import Event
from contests.services import event_transition

from . import ranking, selectors
from .models import Certificate, Correction, ResultRow, ResultSet, Score

PRIZE_ORDER = [ResultRow.Prize.FIRST, ResultRow.Prize.SECOND, ResultRow.Prize.THIRD, ResultRow.Prize.CONSOLATION]
DEFAULT_PRIZES = {"first": 1, "second": 2, "third": 3, "consolation": 5}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def assign_prizes(ranks: list[int], prizes: dict[str, int]) -> list[str]:
    """Prize per row, rows sorted best first with their competition ranks.

    Each prize goes to the next ``count`` places; everyone tied with the last awarded place gets the same
    prize, and the following prize starts after them.
    """
    awarded: list[str] = []
    index = 0
    for prize in PRIZE_ORDER:
        count = int(prizes.get(prize, 0) or 0)
        if count <= 0 or index >= len(ranks):
            continue
        end = min(index + count, len(ranks))
        while end < len(ranks) and ranks[end] == ranks[end - 1]:
            end += 1
        awarded += [prize] * (end - index)
        index = end
    return awarded + [""] * (len(ranks) - len(awarded))


def results_preview(*, event: Event, prizes: dict[str, int]) -> list[dict]:
    """The standings the organiser reviews before publishing: weighted totals, ranks and prizes."""
    rows = selectors.event_totals(event=event)
    labels = dict(ResultRow.Prize.choices)
    for row, prize in zip(rows, assign_prizes([r["rank"] for r in rows], prizes), strict=True):
        row["prize"] = prize
        row["prize_label"] = labels.get(prize, "")
    return rows


@transaction.atomic
def results_publish(
    *, event: Event, by, prizes: dict[str, int], unit_prizes: list | None = None, now: dt.datetime | None = None
) -> ResultSet:
    """Snapshot the final standings and move the event to "results published". Publishing twice returns the
    existing snapshot unchanged: later changes are corrections."""
    existing = ResultSet.objects.filter(event=event).first()
    if existing is not None:
        return existing
    if event.state != Event.State.CLOSED:
        raise ValidationError(_("Close the event before publishing its results."))
    now = now or timezone.now()
    preview = results_preview(event=event, prizes=prizes)
    points = _round_points(event)
    if unit_prizes is None:
        from .units import unit_prizes as best_units

        unit_prizes = best_units(event=event)
    result_set = ResultSet.objects.create(
        event=event, published_at=now, published_by=by, prizes=prizes, unit_prizes=unit_prizes
    )
    ResultRow.objects.bulk_create(
        (
            ResultRow(
                result_set=result_set,
                user_id=row["user_id"],
                name=row["name"],
                full_name=row["user__profile__full_name"] or row["name"],
                rank=row["rank"],
                total=row["total"],
                round_points=points.get(row["user_id"], {}),
                prize=row["prize"],
            )
            for row in preview
        ),
        batch_size=1000,
    )
    event_transition(event=event, to_state=Event.State.RESULTS_PUBLISHED, by=by, now=now)
    return result_set


def _round_points(event: Event) -> dict[int, dict[str, str]]:
    points: dict[int, dict[str, str]] = {}
    for user_id, round_id, value in Score.objects.filter(round__event=event).values_list(
        "user_id", "round_id", "points"
    ):
        points.setdefault(user_id, {})[str(round_id)] = str(value)
    return points


@transaction.atomic
def result_correct(
    *,
    row: ResultRow,
    total: Decimal | None = None,
    prize: str | None = None,
    reason: str,
    by,
    now: dt.datetime | None = None,
) -> ResultRow:
    """Change a published row, log the old and new value with the reason, and re-rank the snapshot."""
    if not reason.strip():
        raise ValidationError(_("Give the reason for the correction."))
    now = now or timezone.now()
    row = ResultRow.objects.select_for_update().get(pk=row.pk)
    changes = []
    if total is not None and total != row.total:
        changes.append(("total", str(row.total), str(total)))
        row.total = total
    if prize is not None and prize != row.prize:
        if prize and prize not in ResultRow.Prize.values:
            raise ValidationError(_("Unknown prize."))
        changes.append(("prize", row.prize or "—", prize or "—"))
        row.prize = prize
    if not changes:
        raise ValidationError(_("Nothing to correct."))
    row.save(update_fields=["total", "prize"])
    Correction.objects.bulk_create(
        Correction(
            result_set=row.result_set,
            row=row,
            field=field,
            old_value=old,
            new_value=new,
            reason=reason.strip(),
            by=by,
            at=now,
        )
        for field, old, new in changes
    )
    _rerank(row.result_set)
    row.refresh_from_db()
    return row


def _rerank(result_set: ResultSet) -> None:
    rows = list(result_set.rows.order_by("-total", "pk"))
    ranks = ranking.competition_ranks([(r.total,) for r in rows])
    for row, rank in zip(rows, ranks, strict=True):
        if row.rank != rank:
            Correction.objects.create(
                result_set=result_set,
                row=row,
                field="rank",
                old_value=str(row.rank),
                new_value=str(rank),
                reason=_("re-ranked after a correction"),
                by=None,
                at=timezone.now(),
            )
            row.rank = rank
    ResultRow.objects.bulk_update(rows, ["rank"], batch_size=1000)


@transaction.atomic
def certificates_issue(*, result_set: ResultSet, participation: bool = False, now: dt.datetime | None = None) -> int:
    """Issue a prize certificate to every awarded row (and a participation one to every row if asked).
    Idempotent: a row never gets two certificates of a kind."""
    now = now or timezone.now()
    issued = 0
    for row in result_set.rows.all():
        kinds = [Certificate.Kind.PRIZE] if row.prize else []
        if participation:
            kinds.append(Certificate.Kind.PARTICIPATION)
        for kind in kinds:
            if not Certificate.objects.filter(row=row, kind=kind).exists():
                Certificate.objects.create(row=row, kind=kind, issued_at=now, code=_new_code())
                issued += 1
    return issued


def _new_code() -> str:
    while True:
        code = get_random_string(10, CODE_ALPHABET)
        if not Certificate.objects.filter(code=code).exists():
            return code


def unit_rules_set(*, event: Event, min_rates: list, prizes_per_group: int):
    """Set the event's collective-prize rules (before publication: the published snapshot keeps its own)."""
    from .models import UnitRules

    if ResultSet.objects.filter(event=event).exists():
        raise ValidationError(_("Results are published: unit rules can no longer change."))
    rules, _created = UnitRules.objects.update_or_create(
        event=event, defaults={"min_rates": min_rates, "prizes_per_group": prizes_per_group}
    )
    return rules
