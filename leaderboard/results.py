"""Publishing results: prizes by the full ranking chain, an immutable snapshot, audited corrections, certificates.

A result set belongs to an event (weighted totals, ``standings.EVENT_CHAIN``) or to one round (weekly prizes,
the round's own chain with the real number of full marks). Only rows equal on every key of the chain share a
rank and a prize (``standings.rank_and_award``). Publication is final: ``score_record`` refuses the round's
scores from then on, and a published row changes only through ``result_correct``, which logs each change,
re-ranks, re-awards the prizes, revokes the certificates whose prize changed and issues their replacements.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from contests.models import Category, Event, Profile, Round
from contests.services import event_transition
from notifications import hooks as notification_hooks

from . import ranking, selectors, standings
from .final import final_writes
from .models import BoardConfig, Certificate, Correction, ResultRow, ResultSet, Score
from .services import scores_changed
from .standings import Ranked, RoundRule

PRIZE_ORDER = [ResultRow.Prize.FIRST, ResultRow.Prize.SECOND, ResultRow.Prize.THIRD, ResultRow.Prize.CONSOLATION]
DEFAULT_PRIZES = {"first": 1, "second": 2, "third": 3, "consolation": 5}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
assign_prizes = standings.assign_prizes


# --- What would be published --------------------------------------------------------------------


def _people(user_ids) -> dict[int, dict]:
    """Names and the fields that split prize lists, one query."""
    fields = ("full_name", "public_name", "category", "organisation__group", "organisation__name", "region__name")
    people = {}
    for row in Profile.objects.filter(user_id__in=user_ids).values("user_id", "user__username", *fields):
        people[row["user_id"]] = row
    return people


def _section(person: dict | None, split_by: str) -> str:
    if not split_by or person is None:
        return ""
    if split_by == ResultSet.SplitBy.CATEGORY:
        return str(Category(person["category"]).label) if person["category"] else ""
    field = {"group": "organisation__group", "region": "region__name", "unit": "organisation__name"}[split_by]
    return person[field] or ""


def _name(person: dict | None, user_id: int) -> tuple[str, str]:
    """(public name, full name) as published."""
    if person is None or not person["full_name"]:
        username = person["user__username"] if person else str(user_id)
        return username, username
    profile = Profile(full_name=person["full_name"], public_name=person["public_name"] or Profile.PublicName.INITIALS)
    return profile.display_name, person["full_name"]


def _round_standings(rnd: Round) -> tuple[list[str], int | None, list[Ranked], dict[int, dict], dict[int, Decimal]]:
    config = selectors.board_config(rnd=rnd)
    full_marks = selectors.full_marks_count(rnd=rnd) if ranking.PREDICTION in config.chain else None
    chain = ranking.effective_chain(config.chain, full_marks_count=full_marks)
    entries, points, totals = [], {}, {}
    for score in Score.objects.filter(round=rnd):
        keys = ranking.values_of(score, config.chain, full_marks_count=full_marks)
        entries.append(Ranked(user_id=score.user_id, section="", keys=keys))
        points[score.user_id] = {str(rnd.pk): str(score.points)}
        totals[score.user_id] = score.points
    return chain, full_marks, entries, points, totals


def _event_standings(event: Event) -> tuple[list[str], None, list[Ranked], dict[int, dict], dict[int, Decimal]]:
    chains = dict(BoardConfig.objects.filter(round__event=event).values_list("round_id", "chain"))
    rules = {}
    for rnd in event.rounds.all():
        chain = tuple(chains.get(rnd.pk) or selectors.DEFAULT_CHAIN)
        full_marks = selectors.full_marks_count(rnd=rnd) if ranking.PREDICTION in chain else None
        rules[rnd.pk] = RoundRule(weight=rnd.weight, chain=chain, full_marks=full_marks)
    by_user: dict[int, list[dict]] = {}
    for score in Score.objects.filter(round__event=event).values(
        "user_id", "round_id", "points", "prediction", "time_used_ms", "registered_at"
    ):
        by_user.setdefault(score["user_id"], []).append(score)
    entries, points, totals = [], {}, {}
    for user_id, scores in by_user.items():
        keys = standings.event_keys(scores, rules)
        entries.append(Ranked(user_id=user_id, section="", keys=keys))
        points[user_id] = {str(s["round_id"]): str(s["points"]) for s in scores}
        totals[user_id] = keys[0]
    return list(standings.EVENT_CHAIN), None, entries, points, totals


def _preview(standing, *, prizes: dict[str, int], split_by: str, section_prizes: dict | None = None) -> list[dict]:
    chain, _full_marks, entries, points, totals = standing
    people = _people([e.user_id for e in entries])
    for entry in entries:
        entry.section = _section(people.get(entry.user_id), split_by)
    labels = dict(ResultRow.Prize.choices)
    rows = []
    for entry in standings.rank_and_award(entries, chain=chain, prizes=prizes, section_prizes=section_prizes):
        name, full_name = _name(people.get(entry.user_id), entry.user_id)
        rows.append(
            {
                "user_id": entry.user_id,
                "name": name,
                "full_name": full_name,
                "section": entry.section,
                "rank": entry.rank,
                "total": totals[entry.user_id],
                "keys": standings.dump(chain, entry.keys),
                "round_points": points[entry.user_id],
                "prize": entry.prize,
                "prize_label": labels.get(entry.prize, ""),
            }
        )
    return rows


def results_preview(
    *, event: Event, prizes: dict[str, int], split_by: str = "", section_prizes: dict | None = None
) -> list[dict]:
    """The event standings the organiser reviews before publishing: totals by the event chain, ranks, prizes
    (per prize list when ``split_by`` names one; ``section_prizes`` gives a list counts of its own)."""
    return _preview(_event_standings(event), prizes=prizes, split_by=split_by, section_prizes=section_prizes)


def round_results_preview(
    *, rnd: Round, prizes: dict[str, int], split_by: str = "", section_prizes: dict | None = None
) -> list[dict]:
    """A round's standings by its chain (with the real full-marks count), ranks and prizes."""
    return _preview(_round_standings(rnd), prizes=prizes, split_by=split_by, section_prizes=section_prizes)


# --- Publishing ---------------------------------------------------------------------------------


def _snapshot(result_set: ResultSet, rows: list[dict]) -> None:
    ResultRow.objects.bulk_create(
        (
            ResultRow(
                result_set=result_set,
                user_id=row["user_id"],
                name=row["name"],
                full_name=row["full_name"],
                section=row["section"],
                rank=row["rank"],
                total=row["total"],
                keys=row["keys"],
                round_points=row["round_points"],
                prize=row["prize"],
            )
            for row in rows
        ),
        batch_size=1000,
    )


@transaction.atomic
def results_publish(
    *,
    event: Event,
    by,
    prizes: dict[str, int],
    unit_prizes: list | None = None,
    split_by: str = "",
    section_prizes: dict | None = None,
    now: dt.datetime | None = None,
) -> ResultSet:
    """Snapshot the event's final standings and move the event to "results published". Publishing twice
    returns the existing snapshot unchanged: later changes are corrections."""
    Event.objects.select_for_update().filter(pk=event.pk).first()  # two organisers at once: one publishes
    existing = ResultSet.objects.filter(event=event).first()
    if existing is not None:
        return existing
    if event.state != Event.State.CLOSED:
        raise ValidationError(_("Close the event before publishing its results."))
    now = now or timezone.now()
    unfinished = _unfinished_rounds(event.rounds.select_related("event"), now=now)
    if unfinished:
        raise ValidationError(
            _("These rounds are still receiving scores: %(rounds)s. Publish once they are over.")
            % {"rounds": ", ".join(r.title for r in unfinished)}
        )
    standing = _event_standings(event)
    if unit_prizes is None:
        from .units import unit_prizes as best_units

        unit_prizes = best_units(event=event)
    with final_writes():
        result_set = ResultSet.objects.create(
            event=event,
            published_at=now,
            published_by=by,
            prizes=prizes,
            unit_prizes=unit_prizes,
            chain=standing[0],
            split_by=split_by,
            section_prizes=_section_prizes(split_by, section_prizes),
        )
        _snapshot(result_set, _preview(standing, prizes=prizes, split_by=split_by, section_prizes=section_prizes))
    event_transition(event=event, to_state=Event.State.RESULTS_PUBLISHED, by=by, now=now)
    notification_hooks.results_published(result_set=result_set)  # people16
    return result_set


def _unfinished_rounds(rounds, *, now: dt.datetime) -> list[Round]:
    """Rounds whose scores may still change: a quiz round its app has not released (inside its grace, or an
    attempt still open), or another kind still open in an open event. Publishing them would freeze a board
    that is still moving, and the late score would then be refused."""
    unfinished = []
    for rnd in rounds:
        config = selectors.board_config(rnd=rnd)
        still_open = not config.awaits_release and now < rnd.closes_at and rnd.event.state == Event.State.OPEN
        if still_open or not selectors.scores_final(config=config, now=now):
            unfinished.append(rnd)
    return unfinished


@transaction.atomic
def round_results_publish(
    *,
    rnd: Round,
    by,
    prizes: dict[str, int],
    split_by: str = "",
    section_prizes: dict | None = None,
    now: dt.datetime | None = None,
) -> ResultSet:
    """Publish one round's results (weekly prizes). Only once its scores are final (``scores_final``: the
    round is over and, for a quiz round, every attempt closed), so that no score can still arrive; from then
    on the round's scores are final. Publishing twice returns the existing snapshot."""
    now = now or timezone.now()
    Round.objects.select_for_update().filter(pk=rnd.pk).first()
    existing = ResultSet.objects.filter(round=rnd).first()
    if existing is not None:
        return existing
    if _unfinished_rounds([rnd], now=now):
        raise ValidationError(_("This round's results can be published once the round is closed."))
    standing = _round_standings(rnd)
    with final_writes():
        result_set = ResultSet.objects.create(
            round=rnd,
            published_at=now,
            published_by=by,
            prizes=prizes,
            chain=standing[0],
            full_marks_count=standing[1],
            split_by=split_by,
            section_prizes=_section_prizes(split_by, section_prizes),
        )
        _snapshot(result_set, _preview(standing, prizes=prizes, split_by=split_by, section_prizes=section_prizes))
    notification_hooks.results_published(result_set=result_set)  # people16
    return result_set


def _section_prizes(split_by: str, section_prizes: dict | None) -> dict:
    """Counts per named list apply only to split results (a single list has no name)."""
    if section_prizes and not split_by:
        raise ValidationError(_("Prize counts per list need the results split into lists."))
    return section_prizes or {}


# --- Corrections --------------------------------------------------------------------------------


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
    """Change a published row and log it with the reason; then re-rank its prize list by the set's chain,
    re-award the prizes (logged), revoke the certificates whose prize changed and issue their replacements.

    A new ``total`` of a round's results is also the round's score (the board follows the official result).
    An explicit ``prize`` is fixed on this row (e.g. a disqualification: ""), and the list's prizes are
    re-awarded around it, so the next participant moves up and later re-rankings keep it.
    """
    if not reason.strip():
        raise ValidationError(_("Give the reason for the correction."))
    if prize and prize not in ResultRow.Prize.values:
        raise ValidationError(_("Unknown prize."))
    reason = reason.strip()
    now = now or timezone.now()
    result_set = ResultSet.objects.select_for_update(of=("self",)).select_related("round").get(pk=row.result_set_id)
    row = ResultRow.objects.get(pk=row.pk)
    if (total is None or total == row.total) and (prize is None or prize == row.prize):
        raise ValidationError(_("Nothing to correct."))
    before = {r.pk: (r.rank, r.prize) for r in result_set.rows.filter(section=row.section)}
    with final_writes():
        if total is not None and total != row.total:
            _log(result_set, row, "total", str(row.total), str(total), reason, by, now)
            row.total = total
            row.keys = [str(total), *row.keys[1:]]
            if result_set.round_id:
                row.round_points = {str(result_set.round_id): str(total)}
                Score.objects.filter(round_id=result_set.round_id, user_id=row.user_id).update(points=total)
                transaction.on_commit(lambda: scores_changed(rnd=result_set.round))
            row.save(update_fields=["total", "keys", "round_points"])
        if prize is not None and prize != row.prize:
            ResultRow.objects.filter(pk=row.pk).update(prize=prize, prize_fixed=True)
        _rerank(result_set, section=row.section)
        for changed in result_set.rows.filter(section=row.section):
            old_rank, old_prize = before[changed.pk]
            why = reason if changed.pk == row.pk else _("re-ranked after a correction: %(reason)s") % {"reason": reason}
            if changed.rank != old_rank:
                _log(result_set, changed, "rank", str(old_rank), str(changed.rank), why, by, now)
            if changed.prize != old_prize:
                _log(result_set, changed, "prize", old_prize or "—", changed.prize or "—", why, by, now)
                _reissue(changed, reason=why, now=now)
    row.refresh_from_db()
    return row


def _log(result_set, row, field, old, new, reason, by, now) -> None:
    Correction.objects.create(
        result_set=result_set, row=row, field=field, old_value=old, new_value=new, reason=reason, by=by, at=now
    )


def _rerank(result_set: ResultSet, *, section: str) -> None:
    """Re-rank one prize list from the stored keys and re-award its prizes. Caller opened ``final_writes``."""
    rows = {r.user_id: r for r in result_set.rows.filter(section=section)}
    chain = result_set.chain
    entries = [Ranked(user_id=r.user_id, section=section, keys=standings.load(chain, r.keys)) for r in rows.values()]
    fixed = {r.user_id: r.prize for r in rows.values() if r.prize_fixed}
    for entry in standings.rank_and_award(
        entries, chain=chain, prizes=result_set.prizes, fixed=fixed, section_prizes=result_set.section_prizes
    ):
        rows[entry.user_id].rank, rows[entry.user_id].prize = entry.rank, entry.prize
    ResultRow.objects.bulk_update(list(rows.values()), ["rank", "prize"], batch_size=1000)


# --- Certificates -------------------------------------------------------------------------------


def _reissue(row: ResultRow, *, reason: str, now: dt.datetime) -> None:
    """The row's prize changed: revoke its prize certificate and, if it still has a prize, issue the
    replacement (also to a row that newly won a prize, once the set's certificates were issued)."""
    old = Certificate.objects.filter(row=row, kind=Certificate.Kind.PRIZE, revoked=False).first()
    if old is None and not Certificate.objects.filter(row__result_set_id=row.result_set_id).exists():
        return
    if old is not None:
        old.revoked, old.revoked_at, old.revoked_reason = True, now, reason[:500]
        old.save(update_fields=["revoked", "revoked_at", "revoked_reason"])
    if row.prize:
        new = Certificate.objects.create(row=row, kind=Certificate.Kind.PRIZE, issued_at=now, code=_new_code())
        if old is not None:
            old.replaced_by = new
            old.save(update_fields=["replaced_by"])


@transaction.atomic
def certificates_issue(*, result_set: ResultSet, participation: bool = False, now: dt.datetime | None = None) -> int:
    """Issue a prize certificate to every awarded row (and a participation one to every row if asked).
    Idempotent: a row never holds two valid certificates of a kind."""
    now = now or timezone.now()
    issued = 0
    valid = set(Certificate.objects.filter(row__result_set=result_set, revoked=False).values_list("row_id", "kind"))
    for row in result_set.rows.all():
        kinds = [Certificate.Kind.PRIZE] if row.prize else []
        if participation:
            kinds.append(Certificate.Kind.PARTICIPATION)
        for kind in kinds:
            if (row.pk, kind) not in valid:
                Certificate.objects.create(row=row, kind=kind, issued_at=now, code=_new_code())
                issued += 1
    notification_hooks.certificates_issued(result_set=result_set)  # people16
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


# --- Erasure on request -------------------------------------------------------------------------


@transaction.atomic
def result_rows_anonymise(*, user, label: str, reason: str, by=None, now: dt.datetime | None = None) -> int:
    """Replace ``user``'s name on every published row by ``label`` (e.g. "Thí sinh #1234") and log it.

    Why here: a participant who deletes their account (Decree 13/2023) keeps their published rows, so that
    ranks, prizes and ``verify_results`` stay recomputable, but not their name. Rank, total, keys and prize
    are untouched; each renamed row gets a ``name`` entry in the set's public correction log, whose old
    value is not the erased name (the log is public). Returns the number of rows renamed.
    """
    now = now or timezone.now()
    rows = list(
        ResultRow.objects.select_for_update(of=("self",))
        .select_related("result_set")
        .filter(user=user)
        .exclude(name=label, full_name=label)
    )
    with final_writes():
        for row in rows:
            _log(row.result_set, row, "name", "—", label, reason, by, now)
            row.name = row.full_name = label
        ResultRow.objects.bulk_update(rows, ["name", "full_name"])
    return len(rows)
