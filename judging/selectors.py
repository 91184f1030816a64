"""Reads of judging. ``access_*`` helpers fetch an object *and* check permission: a judge reaches only their
own active assignments, an organiser only their organisations' rounds; both get the same 404 for "does not
exist" and "not yours".

``round_results`` is the one place that turns stored marks and votes into results: the progress board,
an entry's page, finalisation and ``verify_results`` all read it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, F, Prefetch, Q
from django.http import Http404

from contests.models import Organisation
from contests.selectors import navigation_flag, organisations_organised_by
from submissions.models import Entry, ReadingRound
from submissions.selectors import access_reading_round_for_organiser, vote_counts

from . import scoring
from .assignment import AuthorFacts, JudgeFacts, conflicted
from .models import Assignment, Criterion, CriterionMark, JudgeInvitation, JudgeScore, RoundJudge

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from django.db.models import QuerySet

__all__ = ["access_reading_round_for_organiser"]


# --- Access ---------------------------------------------------------------------------------------

# What a judge has to score: active assignments of entries still in the contest (a rejected entry, or
# one without a playable recording, leaves every queue; its assignments stay, as history).
JUDGEABLE = Q(entry__current__isnull=False) & ~Q(entry__moderation=Entry.Moderation.REJECTED)


def _assignments() -> QuerySet[Assignment]:
    return Assignment.objects.select_related(
        "judge__user",
        "judge__reading_round__round__event__organisation",
        "entry__current",
        "entry__user__profile__region__parent",
        "entry__user__profile__organisation",
        "score",
    )


def access_assignment_for_judge(*, user: Any, assignment_id: int) -> Assignment:
    """An active assignment of ``user``: the only way a judge reaches an entry."""
    if not user.is_authenticated:
        raise Http404
    assignment = (
        _assignments()
        .filter(JUDGEABLE, pk=assignment_id, judge__user_id=user.pk, state=Assignment.State.ACTIVE)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def access_panel_for_judge(*, user: Any, round_id: int) -> RoundJudge:
    """``user``'s seat on the panel of a reading round (404 when they have none)."""
    judge = (
        RoundJudge.objects.select_related("reading_round__round__event__organisation", "user")
        .filter(reading_round__round_id=round_id, user_id=user.pk)
        .first()
        if user.is_authenticated
        else None
    )
    if judge is None:
        raise Http404
    return judge


def access_judge_for_organiser(*, user: Any, judge_id: int) -> RoundJudge:
    judge = (
        RoundJudge.objects.select_related("reading_round__round__event__organisation", "user__profile")
        .filter(pk=judge_id, reading_round__round__event__organisation__in=organisations_organised_by(user))
        .first()
    )
    if judge is None:
        raise Http404
    return judge


def access_assignment_for_organiser(*, user: Any, assignment_id: int) -> Assignment:
    assignment = (
        _assignments()
        .filter(pk=assignment_id, entry__reading_round__round__event__organisation__in=organisations_organised_by(user))
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def has_panels(*, user: Any) -> bool:
    """For the site's navigation: whether ``user`` sits on any judging panel (cached per user: see
    ``contests.selectors.navigation_flag``; the panel services forget it when a seat changes)."""
    if not user.is_authenticated:
        return False
    return navigation_flag("judge", user, lambda: RoundJudge.objects.filter(user_id=user.pk).exists())


# --- Rubric -------------------------------------------------------------------------------------


def criteria(*, reading_round: ReadingRound) -> list[Criterion]:
    return list(Criterion.objects.filter(reading_round=reading_round).order_by("position", "pk"))


def criterion_rules(items: list[Criterion]) -> list[scoring.CriterionRule]:
    return [scoring.CriterionRule(c.pk, c.max_points, c.weight) for c in items]


def rubric_locked(*, reading_round: ReadingRound) -> bool:
    """The rubric cannot change once a judge has submitted a score: the totals would mean different things."""
    return JudgeScore.objects.filter(
        assignment__entry__reading_round=reading_round, submitted_at__isnull=False
    ).exists()


# --- The judge's queue ----------------------------------------------------------------------------


def _queue_key(judge_id: int, entry_id: int) -> str:
    """A per-judge shuffle, stable across visits: no entry is always heard first (or last, when tired)."""
    return hashlib.sha256(f"{judge_id}:{entry_id}".encode()).hexdigest()


def judge_queue(*, judge: RoundJudge, stage: int) -> list[Assignment]:
    """The judge's active assignments of the stage, in their own stable order."""
    items = list(
        Assignment.objects.filter(JUDGEABLE, judge=judge, stage=stage, state=Assignment.State.ACTIVE)
        .select_related("entry__current", "entry__user__profile__region__parent", "entry__user__profile__organisation")
        .select_related("score")
    )
    return sorted(items, key=lambda a: _queue_key(judge.pk, a.entry_id))


def score_of(assignment: Assignment) -> JudgeScore | None:
    try:
        return assignment.score
    except JudgeScore.DoesNotExist:
        return None


def next_assignment(*, judge: RoundJudge, stage: int, after: Assignment | None = None) -> Assignment | None:
    """The next entry to score after ``after`` in the judge's order (wrapping round), or None when all are done."""
    queue = judge_queue(judge=judge, stage=stage)
    if after is not None:
        at = next((i for i, a in enumerate(queue) if a.pk == after.pk), -1)
        queue = queue[at + 1 :] + queue[: at + 1]
    for assignment in queue:
        score = score_of(assignment)
        if (after is None or assignment.pk != after.pk) and (score is None or not score.is_submitted):
            return assignment
    return None


@dataclass(frozen=True)
class PanelRound:
    judge: RoundJudge
    assigned: int
    scored: int

    @property
    def remaining(self) -> int:
        return self.assigned - self.scored


def judge_rounds(*, user: Any) -> list[PanelRound]:
    """Every panel ``user`` sits on, with their counts in the round's current stage (a query per panel)."""
    if not user.is_authenticated:
        return []
    judges = (
        RoundJudge.objects.filter(user_id=user.pk)
        .select_related("reading_round__round__event")
        .order_by("-reading_round__round__closes_at")
    )
    rows = []
    for judge in judges:
        stage = judge.reading_round.judging_stage
        active = judge.assignments.filter(JUDGEABLE, stage=stage, state=Assignment.State.ACTIVE)
        counts = active.aggregate(n=Count("pk"), done=Count("pk", filter=Q(score__submitted_at__isnull=False)))
        rows.append(PanelRound(judge, counts["n"], counts["done"]))
    return rows


def marks_of(score: JudgeScore | None) -> dict[int, Decimal | None]:
    if score is None:
        return {}
    return {mark.criterion_id: mark.value for mark in score.marks.all()}


@dataclass(frozen=True)
class PanelView:
    """What a judge may see of the panel once judging has closed: the others' totals, unnamed, and the votes."""

    totals: list[Decimal]
    votes: int


def panel_after_close(*, assignment: Assignment) -> PanelView:
    others = (
        JudgeScore.objects.filter(
            assignment__entry=assignment.entry,
            assignment__stage=assignment.stage,
            assignment__state=Assignment.State.ACTIVE,
            submitted_at__isnull=False,
        )
        .exclude(assignment=assignment)
        .order_by("total")
        .values_list("total", flat=True)
    )
    return PanelView(totals=list(cast("QuerySet[JudgeScore, Decimal]", others)), votes=assignment.entry.votes.count())


# --- Facts for the assignment -------------------------------------------------------------------


def judgeable_entries(*, reading_round: ReadingRound, stage: int) -> QuerySet[Entry]:
    entries = Entry.objects.filter(reading_round=reading_round, current__isnull=False).exclude(
        moderation=Entry.Moderation.REJECTED
    )
    if stage == ReadingRound.FINAL_STAGE:
        entries = entries.filter(shortlisted=True)
    return entries


def _organisation_parents() -> dict[int, int | None]:
    return dict(Organisation.objects.values_list("pk", "parent_id"))


def _chain(org_id: int | None, parents: dict[int, int | None]) -> tuple[int, ...]:
    chain, seen = [], set()
    while org_id is not None and org_id not in seen:
        chain.append(org_id)
        seen.add(org_id)
        org_id = parents.get(org_id)
    return tuple(chain)


def author_facts(entries: Iterable[Entry]) -> dict[int, AuthorFacts]:
    parents = _organisation_parents()
    facts = {}
    for entry in entries:
        profile = getattr(entry.user, "profile", None)
        org_id = profile.organisation_id if profile is not None else None
        facts[entry.pk] = AuthorFacts(entry.pk, entry.user_id, entry.user.email or "", _chain(org_id, parents))
    return facts


def judge_facts(*, reading_round: ReadingRound, stage: int) -> list[JudgeFacts]:
    """The judges sitting in ``stage``, with what their conflicts are checked against."""
    judges = (
        RoundJudge.objects.filter(reading_round=reading_round)
        .select_related("user__profile")
        .prefetch_related("conflict_organisations")
    )
    ended: dict[int, set[int]] = {}
    for judge_id, entry_id in (
        Assignment.objects.filter(judge__reading_round=reading_round)
        .filter(Q(stage=stage) & ~Q(state=Assignment.State.ACTIVE) | Q(stage__lt=stage))
        .values_list("judge_id", "entry_id")
    ):
        ended.setdefault(judge_id, set()).add(entry_id)
    facts = []
    for judge in judges:
        if not judge.sits_in(stage):
            continue
        profile = getattr(judge.user, "profile", None)
        own = {profile.organisation_id} if profile is not None and profile.organisation_id else set()
        declared = {org.pk for org in judge.conflict_organisations.all()}
        facts.append(
            JudgeFacts(
                key=judge.pk,
                user_id=judge.user_id,
                organisation_ids=frozenset(own | declared),
                emails=frozenset(judge.declared_emails),
                excluded_entries=frozenset(ended.get(judge.pk, set())),
            )
        )
    return facts


def active_pairs(*, reading_round: ReadingRound, stage: int) -> list[tuple[int, int]]:
    """(entry id, judge id) of every active assignment of the stage."""
    return list(
        Assignment.objects.filter(
            entry__reading_round=reading_round, stage=stage, state=Assignment.State.ACTIVE
        ).values_list("entry_id", "judge_id")
    )


# --- Results -----------------------------------------------------------------------------------


def scoring_settings(reading_round: ReadingRound, max_total: Decimal) -> scoring.Settings:
    return scoring.Settings(
        max_total=float(max_total),
        averaging=reading_round.averaging,
        normalise=reading_round.normalise_judges,
        disagreement_fraction=reading_round.disagreement_percent / 100,
        vote_weight=float(reading_round.vote_share_weight),
    )


def stage_totals(
    *, reading_round: ReadingRound, stage: int, rules: Sequence[scoring.CriterionRule]
) -> list[scoring.JudgeTotal]:
    """Every submitted score of the stage, its total recomputed from its marks (rule 1)."""
    scores = JudgeScore.objects.filter(
        assignment__entry__reading_round=reading_round,
        assignment__stage=stage,
        assignment__state=Assignment.State.ACTIVE,
        submitted_at__isnull=False,
    ).select_related("assignment")
    marks: dict[int, dict[int, Decimal | None]] = {}
    for score_id, criterion_id, value in CriterionMark.objects.filter(score__in=scores).values_list(
        "score_id", "criterion_id", "value"
    ):
        marks.setdefault(score_id, {})[criterion_id] = value
    totals = []
    for score in scores:
        try:
            total = scoring.judge_total(rules, marks.get(score.pk, {}))
        except (scoring.IncompleteMarks, ValueError):
            continue  # a criterion added after the score (only possible by editing the database)
        totals.append(scoring.JudgeTotal(score.assignment.entry_id, score.assignment.judge_id, float(total)))
    return totals


@dataclass
class Results:
    """Everything the round's results are made of (scoring rules 1–8)."""

    max_total: Decimal
    first: scoring.RoundScores
    final: scoring.RoundScores | None
    finalists: set[int]
    outcomes: dict[int, scoring.Outcome]
    authors: dict[int, int]  # entry id → user id
    points: dict[int, tuple[int, Decimal]] = field(default_factory=dict)  # user id → (entry id, points)

    def stage_scores(self, entry_id: int) -> scoring.EntryScore | None:
        if self.final is not None and entry_id in self.final.entries:
            return self.final.entries[entry_id]
        return self.first.entries.get(entry_id)


def stage_scores(
    *,
    reading_round: ReadingRound,
    stage: int,
    rules: Sequence[scoring.CriterionRule] | None = None,
    votes: dict[int, int] | None = None,
) -> scoring.RoundScores:
    rules = rules if rules is not None else criterion_rules(criteria(reading_round=reading_round))
    votes = votes if votes is not None else vote_counts(reading_round=reading_round)
    entry_ids = list(judgeable_entries(reading_round=reading_round, stage=stage).values_list("pk", flat=True))
    return scoring.score_round(
        totals=stage_totals(reading_round=reading_round, stage=stage, rules=rules),
        entry_ids=entry_ids,
        votes=votes,
        settings=scoring_settings(reading_round, scoring.rubric_max(rules)),
    )


def round_results(*, reading_round: ReadingRound) -> Results:
    """The round's results from the stored marks, votes and shortlist, as finalisation records them."""
    rules = criterion_rules(criteria(reading_round=reading_round))
    votes = vote_counts(reading_round=reading_round)
    first = stage_scores(reading_round=reading_round, stage=ReadingRound.SHORTLIST_STAGE, rules=rules, votes=votes)
    final, finalists = None, set()
    if reading_round.in_final_stage:
        final = stage_scores(reading_round=reading_round, stage=ReadingRound.FINAL_STAGE, rules=rules, votes=votes)
        finalists = set(final.entries)
    outcomes = scoring.combine_stages(first=first, final=final, finalists=finalists)
    authors = dict(Entry.objects.filter(pk__in=list(outcomes)).values_list("pk", "user_id"))
    return Results(
        max_total=scoring.rubric_max(rules),
        first=first,
        final=final,
        finalists=finalists,
        outcomes=outcomes,
        authors=authors,
        points=scoring.author_points(outcomes, authors),
    )


# --- Progress board -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgeProgress:
    judge: RoundJudge
    assigned: int
    scored: int
    drafts: int

    @property
    def remaining(self) -> int:
        return self.assigned - self.scored


def judges_progress(*, reading_round: ReadingRound) -> list[JudgeProgress]:
    """Per judge, in the current stage: assigned, scored, drafts. One query."""
    stage = reading_round.judging_stage
    active = (
        Q(assignments__stage=stage, assignments__state=Assignment.State.ACTIVE)
        & Q(assignments__entry__current__isnull=False)
        & ~Q(assignments__entry__moderation=Entry.Moderation.REJECTED)
    )
    judges = (
        RoundJudge.objects.filter(reading_round=reading_round)
        .select_related("user__profile__organisation")
        .prefetch_related("conflict_organisations")
        .annotate(
            n_assigned=Count("assignments", filter=active),
            n_scored=Count("assignments", filter=active & Q(assignments__score__submitted_at__isnull=False)),
            n_drafts=Count(
                "assignments",
                filter=active & Q(assignments__score__isnull=False, assignments__score__submitted_at__isnull=True),
            ),
        )
        .order_by("created_at", "pk")
    )
    return [JudgeProgress(j, j.n_assigned, j.n_scored, j.n_drafts) for j in judges]


@dataclass
class EntryProgress:
    entry: Entry
    assigned: int
    received: int
    score: scoring.EntryScore | None
    outcome: scoring.Outcome | None
    replaced: bool  # a judge scored a recording that has since been replaced

    @property
    def disputed(self) -> bool:
        return bool(self.score and self.score.disputed)


def entries_progress(*, reading_round: ReadingRound, results: Results) -> list[EntryProgress]:
    """Per entry of the current stage: scores received of assigned, flags, the result so far. Three queries."""
    stage = reading_round.judging_stage
    active = Q(assignments__stage=stage, assignments__state=Assignment.State.ACTIVE)
    entries = (
        judgeable_entries(reading_round=reading_round, stage=stage)
        .select_related("user__profile__region", "user__profile__organisation", "current")
        .annotate(
            n_assigned=Count("assignments", filter=active, distinct=True),
            n_received=Count(
                "assignments", filter=active & Q(assignments__score__submitted_at__isnull=False), distinct=True
            ),
        )
        .order_by("pk")
    )
    stale = set(
        JudgeScore.objects.filter(
            assignment__entry__reading_round=reading_round,
            assignment__state=Assignment.State.ACTIVE,
            submitted_at__isnull=False,
        )
        .exclude(version_id=None)
        .exclude(version_id=F("assignment__entry__current_id"))
        .values_list("assignment__entry_id", flat=True)
    )
    return [
        EntryProgress(
            entry=e,
            assigned=e.n_assigned,
            received=e.n_received,
            score=results.stage_scores(e.pk),
            outcome=results.outcomes.get(e.pk),
            replaced=e.pk in stale,
        )
        for e in entries
    ]


def entry_assignments(*, entry: Entry) -> list[Assignment]:
    """Every assignment of an entry (ended ones too), with scores and marks, for the organiser."""
    return list(
        Assignment.objects.filter(entry=entry)
        .select_related("judge__user__profile", "score", "created_by")
        .prefetch_related(Prefetch("score__marks", queryset=CriterionMark.objects.select_related("criterion")))
        .order_by("stage", "created_at", "pk")
    )


def eligible_judges_for(*, entry: Entry, facts: list[JudgeFacts], authors: dict[int, AuthorFacts]) -> set[int]:
    """Judges of the stage an organiser may add to ``entry``: not already on it, no conflict."""
    taken = set(
        Assignment.objects.filter(
            entry=entry, stage=entry.reading_round.judging_stage, state=Assignment.State.ACTIVE
        ).values_list("judge_id", flat=True)
    )
    return {f.key for f in facts if f.key not in taken and not conflicted(f, authors[entry.pk])}


def invitation_by_token(*, token: str) -> JudgeInvitation:
    """An invitation by its secret token (404 for anything else)."""
    invitation = JudgeInvitation.objects.select_related("reading_round__round__event").filter(token=token).first()
    if invitation is None:
        raise Http404
    return invitation


def invitations_pending(*, reading_round: ReadingRound) -> list[JudgeInvitation]:
    return list(JudgeInvitation.objects.filter(reading_round=reading_round, accepted_at__isnull=True))


# --- An entry's page for the organisers: every step of its score ------------------------------------


@dataclass(frozen=True)
class JudgeLine:
    assignment: Assignment
    raw: float
    used: float
    dropped: bool
    scale: scoring.JudgeScale


@dataclass(frozen=True)
class StageBreakdown:
    stage: int
    scores: scoring.RoundScores
    entry: scoring.EntryScore
    lines: list[JudgeLine]

    @property
    def settings(self) -> scoring.Settings:
        return self.scores.settings

    @property
    def threshold(self) -> float:
        return self.settings.disagreement_fraction * self.settings.max_total

    @property
    def trim_fallback(self) -> bool:
        """The round asks for a trimmed mean but the entry has fewer than 4 judges: the plain mean is used."""
        return self.settings.averaging == scoring.TRIMMED and not self.entry.trimmed and bool(self.entry.used)

    @property
    def judges_weight(self) -> float:
        return 1 - self.settings.vote_weight

    @property
    def judge_part(self) -> float | None:
        judge_score = self.entry.judge_score
        return None if judge_score is None else judge_score * self.judges_weight

    @property
    def vote_part(self) -> float:
        return self.entry.vote_points * self.settings.vote_weight


def entry_breakdown(*, entry: Entry, results: Results, assignments: list[Assignment]) -> list[StageBreakdown]:
    """Each stage's computation for one entry, judge by judge (rules 1–6 of ``judging.scoring``)."""
    stages = [(ReadingRound.SHORTLIST_STAGE, results.first)]
    if results.final is not None and entry.pk in results.final.entries:
        stages.append((ReadingRound.FINAL_STAGE, results.final))
    breakdowns = []
    for stage, scores in stages:
        entry_score = scores.entries.get(entry.pk)
        if entry_score is None:
            continue
        by_judge = {a.judge_id: a for a in assignments if a.stage == stage and a.is_active}
        lines = [
            JudgeLine(
                by_judge[judge_id],
                raw,
                entry_score.used[judge_id],
                judge_id in entry_score.dropped,
                scores.judges[judge_id],
            )
            for judge_id, raw in sorted(entry_score.raw.items(), key=lambda item: (item[1], item[0]))
            if judge_id in by_judge
        ]
        breakdowns.append(StageBreakdown(stage, scores, entry_score, lines))
    return breakdowns
