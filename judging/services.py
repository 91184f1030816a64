"""Every write of judging: settings and rubric, the panel and its invitations, assignments, judges' scores,
conflicts, stages and finalisation.

One clock: services take ``now`` so that every check in a request agrees. The rules of the judging window:
judges score from ``judging_opens_at`` (or, without it, as entries arrive) until ``judging_closes_at`` or
finalisation, whichever comes first, and only in the round's current stage. Finalising — by an organiser,
or by ``judging_sweep`` at the end of the window when the round says so — records each author's final
score through ``leaderboard.services.score_record`` and sets the board's ranking chain.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contests.models import Event, Membership
from contests.services import membership_add
from leaderboard import ranking
from leaderboard.selectors import took_part_in_event
from leaderboard.services import ResultsFinal, board_configure, board_release, score_record
from submissions.models import Entry, ReadingRound

from . import emails, scoring
from . import selectors as judging_selectors
from .assignment import assign, conflicted, pick_one
from .models import Assignment, Criterion, CriterionMark, JudgeInvitation, JudgeScore, RoundJudge, Stages

BOARD_CHAIN = [ranking.POINTS, ranking.SUBMITTED_AT, ranking.REGISTERED_AT]


class JudgingError(Exception):
    """A refusal the organiser or the judge should read, in their language."""


def _email_later(kind: str, object_id: int) -> None:
    from .tasks import judging_email_send

    transaction.on_commit(lambda: judging_email_send.enqueue(kind, object_id))


def _lock(reading_round: ReadingRound) -> ReadingRound:
    """Serialise writes that read-then-write a round's assignments (two "assign" clicks at once)."""
    return ReadingRound.objects.select_for_update().get(pk=reading_round.pk)


def _not_finalised(reading_round: ReadingRound) -> None:
    if reading_round.judging_finalised_at is not None:
        raise JudgingError(_("Judging of this round is finalised: nothing can change any more."))


# --- Settings and rubric ------------------------------------------------------------------------

JUDGING_FIELDS = (
    "judging_opens_at",
    "judging_closes_at",
    "judges_per_entry",
    "blind_judging",
    "averaging",
    "normalise_judges",
    "disagreement_percent",
    "extra_judge_on_disagreement",
    "shortlist_size",
    "final_judges_per_entry",
    "finalise_at_close",
)


def judging_configure(*, reading_round: ReadingRound, settings: dict) -> ReadingRound:
    """Change the judging settings. Two stages cannot be turned on or off once the final stage began."""
    _not_finalised(reading_round)
    unknown = set(settings) - set(JUDGING_FIELDS)
    if unknown:
        raise ValueError(f"not judging settings: {sorted(unknown)}")
    if reading_round.in_final_stage and settings.get("shortlist_size", reading_round.shortlist_size) == 0:
        raise ValidationError({"shortlist_size": _("The final stage has begun: the round stays in two stages.")})
    for name, value in settings.items():
        setattr(reading_round, name, value)
    reading_round.full_clean()
    reading_round.save(update_fields=[*settings])
    return reading_round


def rubric_save(*, reading_round: ReadingRound, items: list[dict]) -> list[Criterion]:
    """Replace the rubric by ``items`` (dicts of name, description, max_points, weight and, for a kept
    criterion, its ``id``), in order. Refused once a score is submitted: the totals would change meaning."""
    _not_finalised(reading_round)
    if judging_selectors.rubric_locked(reading_round=reading_round):
        raise JudgingError(_("Judges have already submitted scores: the rubric can no longer change."))
    if not items:
        raise JudgingError(_("A rubric needs at least one criterion."))
    if sum(Decimal(item["weight"]) * Decimal(item["max_points"]) for item in items) <= 0:
        raise JudgingError(_("At least one criterion needs a weight above 0."))
    with transaction.atomic():
        existing = {c.pk: c for c in Criterion.objects.filter(reading_round=reading_round)}
        kept = []
        for position, item in enumerate(items):
            criterion = existing.pop(item.get("id"), None) or Criterion(reading_round=reading_round)
            criterion.position = position
            for name in ("name", "description", "max_points", "weight"):
                setattr(criterion, name, item.get(name, getattr(criterion, name)))
            criterion.full_clean()
            criterion.save()
            kept.append(criterion)
        Criterion.objects.filter(pk__in=list(existing)).delete()
    return kept


# --- Panel ----------------------------------------------------------------------------------------


def _user_by_email(email: str):
    User = get_user_model()
    address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
    if address is not None:
        return address.user
    return User.objects.filter(email__iexact=email).first()


def panel_problems(*, reading_round: ReadingRound, user) -> list[str]:
    """Why ``user`` cannot judge this round: whoever enters an event cannot judge it (and the reverse is
    enforced at entry: members of the organising organisation cannot enter)."""
    event = reading_round.round.event
    if Entry.objects.filter(reading_round__round__event=event, user_id=user.pk).exists():
        return [_("This person has sent an entry to this event: they cannot judge it.")]
    if took_part_in_event(event=event, user=user):
        return [_("This person has taken part in this event: they cannot judge it.")]
    return []


def _seat(*, reading_round: ReadingRound, user, stages: str, by, now: dt.datetime) -> tuple[RoundJudge, bool]:
    problems = panel_problems(reading_round=reading_round, user=user)
    if problems:
        raise JudgingError(" ".join(problems))
    membership_add(user=user, organisation=reading_round.round.event.organisation, role=Membership.Role.JUDGE)
    judge, created = RoundJudge.objects.get_or_create(
        reading_round=reading_round, user=user, defaults={"stages": stages, "invited_by": by, "created_at": now}
    )
    if not created and judge.stages != stages:
        judge.stages = Stages.BOTH
        judge.save(update_fields=["stages"])
    return judge, created


@transaction.atomic
def judge_invite(
    *, reading_round: ReadingRound, email: str, stages: str = Stages.FIRST, by, now: dt.datetime | None = None
) -> RoundJudge | JudgeInvitation:
    """Put the person with this address on the panel (an account exists: they are told by e-mail), or send
    an invitation to sign up with it. The person becomes a judge of the organising organisation."""
    now = now or timezone.now()
    _not_finalised(reading_round)
    email = email.strip().lower()
    user = _user_by_email(email)
    if user is not None:
        judge, created = _seat(reading_round=reading_round, user=user, stages=stages, by=by, now=now)
        # An invitation sent before the person had an account is answered by this seat.
        JudgeInvitation.objects.filter(reading_round=reading_round, email=email, accepted_at__isnull=True).delete()
        if created:
            _email_later(emails.ADDED, judge.pk)
        return judge
    invitation, _created = JudgeInvitation.objects.update_or_create(
        reading_round=reading_round,
        email=email,
        defaults={"stages": stages, "invited_by": by, "created_at": now, "sent_at": now},
    )
    _email_later(emails.INVITATION, invitation.pk)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user, now: dt.datetime | None = None) -> RoundJudge:
    """Join the panel an invitation is for, signed in with the invited address (verified by allauth)."""
    now = now or timezone.now()
    invitation = JudgeInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None:
        raise JudgingError(_("This invitation does not exist or was withdrawn."))
    reading_round = invitation.reading_round
    if invitation.accepted_at is not None:
        if invitation.accepted_by_id == user.pk:
            return RoundJudge.objects.get(reading_round=reading_round, user=user)
        raise JudgingError(_("This invitation has already been accepted."))
    if not EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists():
        raise JudgingError(
            _("This invitation is for %(email)s: sign in with that address (verified) to accept it.")
            % {"email": invitation.email}
        )
    _not_finalised(reading_round)
    if reading_round.judging_closed(now):  # a seat now scores nothing, and would lift the blindfold (the gallery)
        raise JudgingError(_("The judging window of this round has closed: its panel takes no new judges."))
    judge, _created = _seat(
        reading_round=reading_round, user=user, stages=invitation.stages, by=invitation.invited_by, now=now
    )
    invitation.accepted_at, invitation.accepted_by = now, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return judge


def invitation_withdraw(*, invitation: JudgeInvitation) -> None:
    if invitation.accepted_at is None:
        invitation.delete()


def _end(assignment: Assignment, state: str, now: dt.datetime) -> None:
    assignment.state, assignment.ended_at = state, now
    assignment.save(update_fields=["state", "ended_at"])


def _submitted(assignment: Assignment) -> bool:
    return JudgeScore.objects.filter(assignment=assignment, submitted_at__isnull=False).exists()


@transaction.atomic
def judge_update(
    *, judge: RoundJudge, stages: str, organisations, emails_text: str, now: dt.datetime | None = None
) -> RoundJudge:
    """Change a judge's stages and declared conflicts. Entries that now conflict (and are not scored yet)
    go back to the pool and are given to other judges."""
    now = now or timezone.now()
    reading_round = _lock(judge.reading_round)
    _not_finalised(reading_round)
    judge.stages = stages
    judge.conflict_emails = "\n".join(
        sorted({line.strip().lower() for line in emails_text.splitlines() if line.strip()})
    )
    judge.full_clean(exclude=["reading_round", "user", "invited_by"])
    judge.save(update_fields=["stages", "conflict_emails"])
    judge.conflict_organisations.set(organisations)
    _release_conflicts(reading_round=reading_round, now=now)
    return judge


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


@transaction.atomic
def judge_remove(*, judge: RoundJudge, now: dt.datetime | None = None) -> None:
    """Take a judge off the panel; their unscored entries go to other judges. Refused once they scored."""
    now = now or timezone.now()
    reading_round = _lock(judge.reading_round)
    _not_finalised(reading_round)
    if JudgeScore.objects.filter(assignment__judge=judge, submitted_at__isnull=False).exists():
        raise JudgingError(
            _("This judge has submitted scores: they stay on the panel so that the results can be checked.")
        )
    judge.delete()
    _fill(reading_round=reading_round, now=now, by=None)


# --- Assignment -----------------------------------------------------------------------------------


def _judges_needed(reading_round: ReadingRound) -> int:
    return reading_round.final_judges_per_entry if reading_round.in_final_stage else reading_round.judges_per_entry


def _fill(*, reading_round: ReadingRound, now: dt.datetime, by, entry_ids=None):
    """Give every entry of the current stage the judges it misses (``judging.assignment.assign``)."""
    stage = reading_round.judging_stage
    entries = judging_selectors.judgeable_entries(reading_round=reading_round, stage=stage).select_related(
        "user__profile"
    )
    if entry_ids is not None:
        entries = entries.filter(pk__in=entry_ids)
    entries = list(entries)
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
def assignments_fill(*, reading_round: ReadingRound, by=None, now: dt.datetime | None = None):
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
    *, entry: Entry, judge: RoundJudge, by, extra: bool = False, now: dt.datetime | None = None
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
def extra_judge_add(*, entry: Entry, by, now: dt.datetime | None = None) -> Assignment:
    """One click on a disputed entry: one more judge, the least loaded without a conflict."""
    now = now or timezone.now()
    reading_round = _lock(entry.reading_round)
    _not_finalised(reading_round)
    return _add_extra(reading_round=reading_round, entry=entry, by=by, now=now)


def _add_extra(*, reading_round: ReadingRound, entry: Entry, by, now: dt.datetime) -> Assignment:
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


# --- Judges' scores -------------------------------------------------------------------------------


def scoring_problems(*, assignment: Assignment, now: dt.datetime) -> list[str]:
    """Why the judge cannot act on this entry now (empty = they can): the one rule of every judge's write.

    Scoring, saving a draft, amending a submitted score and declaring a conflict all obey it on the
    server, whatever the page showed: outside the window (before it opens, after it closes or once
    judging is finalised) or in a stage that is over, nothing a judge sends changes anything. A judge who
    has seen the other judges' totals after the close must not be able to take their own score back.
    """
    reading_round = assignment.entry.reading_round
    if not assignment.is_active:
        return [_("This entry is no longer assigned to you.")]
    if reading_round.judging_finalised_at is not None:
        return [_("Judging is finalised.")]
    if not reading_round.judging_started(now):
        return [_("Judging has not opened yet.")]
    if reading_round.judging_closed(now):
        return [_("The judging window has closed.")]
    if assignment.stage != reading_round.judging_stage:
        return [_("This stage of judging is over.")]
    return []


def _lock_assignment(assignment: Assignment) -> Assignment:
    """The assignment and its round, both locked, round first (the order every service of judging takes):
    finalisation, which also locks the round, then cannot record results while a score is being written,
    and the checks read the rows as they are now, not as the page loaded them."""
    reading_round = ReadingRound.objects.select_for_update().get(pk=assignment.entry.reading_round_id)
    locked = (
        Assignment.objects.select_for_update(of=("self",)).select_related("entry__user", "judge").get(pk=assignment.pk)
    )
    locked.entry.reading_round = reading_round
    return locked


@transaction.atomic
def score_save(
    *,
    assignment: Assignment,
    marks: dict[int, Decimal | None],
    comment: str = "",
    submit: bool,
    now: dt.datetime | None = None,
) -> JudgeScore:
    """Save the judge's marks as a draft, or submit them (every criterion marked). Submitting again — a
    double click, two tabs — changes the same score: one row per assignment is a database constraint.

    A submitted score can be amended (submitted again) while the window is open, never turned back into
    a draft: the organisers' boards would show a judge going backwards.
    """
    now = now or timezone.now()
    locked = _lock_assignment(assignment)
    problems = scoring_problems(assignment=locked, now=now)
    if problems:
        raise JudgingError(" ".join(problems))
    rules = judging_selectors.criterion_rules(judging_selectors.criteria(reading_round=locked.entry.reading_round))
    marks = {rule.key: marks.get(rule.key) for rule in rules}
    total = _checked_total(rules, marks, submit=submit)
    score = JudgeScore.objects.filter(assignment=locked).first()
    if score is not None and score.is_submitted and not submit:
        raise JudgingError(_("This score is already submitted: change it and submit it again."))
    if score is None:
        try:
            with transaction.atomic():
                score = JudgeScore.objects.create(assignment=locked, updated_at=now)
        except IntegrityError:  # the other tab won the race: change its row
            score = JudgeScore.objects.get(assignment=locked)
    score.total, score.comment, score.updated_at = total, comment.strip(), now
    score.version_id = locked.entry.current_id
    if submit and score.submitted_at is None:
        score.submitted_at = now
    score.save(update_fields=["total", "comment", "updated_at", "version", "submitted_at"])
    for criterion_id, value in marks.items():
        CriterionMark.objects.update_or_create(score=score, criterion_id=criterion_id, defaults={"value": value})
    if submit:
        _maybe_extra_judge(locked, now)
    return score


def _checked_total(rules, marks, *, submit: bool) -> Decimal | None:
    for rule in rules:
        value = marks[rule.key]
        if value is not None and not 0 <= value <= rule.max_points:
            raise JudgingError(_("Each mark must lie between 0 and the criterion's maximum."))
    try:
        return scoring.judge_total(rules, marks)
    except scoring.IncompleteMarks as exc:
        if submit:
            raise JudgingError(_("Give a mark for every criterion before submitting.")) from exc
        return None


def _maybe_extra_judge(assignment: Assignment, now: dt.datetime) -> None:
    """The round's automatic rule: once every judge of an entry has scored and they disagree strongly, one
    extra judge is added — once per entry and stage, so that a dispute cannot call judges forever."""
    reading_round = assignment.entry.reading_round
    if not reading_round.extra_judge_on_disagreement:
        return
    siblings = Assignment.objects.filter(entry=assignment.entry, stage=assignment.stage)
    if siblings.filter(extra=True).exists():
        return
    active = siblings.filter(state=Assignment.State.ACTIVE)
    if active.filter(Q(score__isnull=True) | Q(score__submitted_at__isnull=True)).exists():
        return
    totals = [float(t) for t in active.values_list("score__total", flat=True) if t is not None]
    rules = judging_selectors.criterion_rules(judging_selectors.criteria(reading_round=reading_round))
    max_total = float(scoring.rubric_max(rules))
    if len(totals) >= 2 and max(totals) - min(totals) > reading_round.disagreement_percent / 100 * max_total + 1e-9:
        with contextlib.suppress(JudgingError):  # nobody free: the entry stays flagged on the progress board
            _add_extra(reading_round=reading_round, entry=assignment.entry, by=None, now=now)


@transaction.atomic
def conflict_declare(*, assignment: Assignment, now: dt.datetime | None = None) -> None:
    """The judge knows the author: the entry goes back to the pool and to another judge (if one is free), and
    the author joins the judge's declared people, so that their other unscored entries leave this judge too.

    Only inside the judging window and the assignment's stage (``scoring_problems``): a conflict drops the
    judge's score, so after the close — once the other judges' totals are shown — it would be a way to
    withdraw a score that no longer suits them.
    """
    now = now or timezone.now()
    locked = _lock_assignment(assignment)
    reading_round = locked.entry.reading_round
    problems = scoring_problems(assignment=locked, now=now)
    if problems:
        raise JudgingError(" ".join(problems))
    _end(locked, Assignment.State.CONFLICT, now)
    judge = locked.judge
    author_email = (locked.entry.user.email or "").lower()
    if author_email and author_email not in judge.declared_emails:
        judge.conflict_emails = "\n".join(sorted(judge.declared_emails | {author_email}))
        judge.save(update_fields=["conflict_emails"])
    _release_conflicts(reading_round=reading_round, now=now)
    _fill(reading_round=reading_round, now=now, by=None, entry_ids=[locked.entry_id])


# --- Reminders ------------------------------------------------------------------------------------


@transaction.atomic
def reminders_send(
    *, reading_round: ReadingRound, judge: RoundJudge | None = None, now: dt.datetime | None = None
) -> int:
    """E-mail each judge (or one) who has entries left to score in the current stage; return how many."""
    now = now or timezone.now()
    _not_finalised(reading_round)
    sent = 0
    for row in judging_selectors.judges_progress(reading_round=reading_round):
        if row.remaining <= 0 or (judge is not None and row.judge.pk != judge.pk):
            continue
        RoundJudge.objects.filter(pk=row.judge.pk).update(reminded_at=now)
        _email_later(emails.REMINDER, row.judge.pk)
        sent += 1
    return sent


# --- Stages and finalisation ----------------------------------------------------------------------


@transaction.atomic
def shortlist_close(*, reading_round: ReadingRound, by, now: dt.datetime | None = None) -> set[int]:
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
def judging_finalise(*, reading_round: ReadingRound, by=None, now: dt.datetime | None = None) -> dict[int, Decimal]:
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


def recompute_round(rnd) -> dict[int, Decimal]:
    """``verify_results`` for a reading round: each author's points from the stored marks and votes, with
    today's scoring code ({} until judging is finalised: nothing is recorded before)."""
    reading_round = ReadingRound.objects.filter(round=rnd).first()
    if reading_round is None or reading_round.judging_finalised_at is None:
        return {}
    results = judging_selectors.round_results(reading_round=reading_round)
    return {user_id: points for user_id, (_entry, points) in results.points.items()}
