"""Judges' scores: when a judge may score, saving marks (draft or submitted), the extra judge a wide spread
calls for, and declaring a conflict.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from submissions.models import ReadingRound

from .. import scoring
from .. import selectors as judging_selectors
from ..models import Assignment, CriterionMark, JudgeScore
from .assignments import _add_extra, _end, _fill, _release_conflicts
from .common import JudgingError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


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


def _checked_total(
    rules: Sequence[scoring.CriterionRule], marks: Mapping[int, Decimal | None], *, submit: bool
) -> Decimal | None:
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
