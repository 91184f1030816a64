"""Judging of read-aloud entries: the rubric, the panel of judges, who scores what, and the scores.

A round's panel (``RoundJudge``) is made of people the organisers invited; each entry is given to
``judges_per_entry`` of them (``Assignment``); a judge's score of an entry (``JudgeScore``) has one mark
per criterion (``CriterionMark``). Invariants whatever writes the rows: one assignment per judge, entry
and stage; one score per assignment — so a judge who submits twice, from two tabs at once, still leaves
exactly one score; marks are not negative, one per criterion.

How totals are combined into an entry's score is in ``judging.scoring`` (pure, documented rule by
rule); who may be given which entry is in ``judging.assignment``.

The tables were created by ``submissions`` before judging became an app of its own; each model keeps its
old table name (``Meta.db_table``), so the move changed the migration state and not the database.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contests.models import Organisation
from submissions.models import Entry, EntryVersion, ReadingRound


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Criterion(models.Model):
    """One line of a round's rubric: the judge gives 0…``max_points``; the total weighs it by ``weight``."""

    reading_round = models.ForeignKey(ReadingRound, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("criterion"), max_length=120)
    description = models.TextField(_("what judges look for"), max_length=1000, blank=True)
    max_points = models.DecimalField(_("maximum"), max_digits=6, decimal_places=2, default=10)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1)

    class Meta:
        db_table = "submissions_criterion"
        ordering = ["reading_round", "position", "pk"]
        verbose_name = _("rubric criterion")
        verbose_name_plural = _("rubric criteria")
        constraints = [
            models.CheckConstraint(condition=Q(max_points__gt=0), name="criterion_max_positive"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="criterion_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Stages(models.TextChoices):
    """Which stage(s) of a round a judge sits in. A round with one stage only has the first."""

    FIRST = "first", _("Shortlist stage (or the only stage)")
    FINAL = "final", _("Final stage")
    BOTH = "both", _("Both stages")


class RoundJudge(models.Model):
    """A person on a round's panel, and the conflicts of interest they declared.

    Their own organisation is their profile's; ``conflict_organisations`` and ``conflict_emails`` (the
    people they know: one address per line) are what they or the organisers declared. An author whose
    organisation is one of these — or a unit of one — or whose address is listed is never given to them.
    """

    reading_round = models.ForeignKey(ReadingRound, on_delete=models.CASCADE, related_name="judges")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="judging_panels")
    stages = models.CharField(_("stages"), max_length=5, choices=Stages.choices, default=Stages.FIRST)
    conflict_organisations = models.ManyToManyField(
        Organisation, verbose_name=_("declared organisations"), blank=True, related_name="+"
    )
    conflict_emails = models.TextField(
        _("declared people (e-mail addresses)"),
        blank=True,
        help_text=_("One address per line: relatives, pupils, colleagues whose entries this judge must not score."),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "submissions_roundjudge"
        ordering = ["reading_round", "created_at", "pk"]
        verbose_name = _("judge of a round")
        verbose_name_plural = _("judges of a round")
        constraints = [models.UniqueConstraint(fields=["reading_round", "user"], name="roundjudge_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.reading_round}"

    def sits_in(self, stage: int) -> bool:
        if stage == ReadingRound.FINAL_STAGE:
            return self.stages in (Stages.FINAL, Stages.BOTH)
        return self.stages in (Stages.FIRST, Stages.BOTH)

    @property
    def declared_emails(self) -> set[str]:
        return {line.strip().lower() for line in self.conflict_emails.splitlines() if line.strip()}


class JudgeInvitation(models.Model):
    """An invitation sent to an address with no account yet. Accepting it (signed in with that verified
    address) makes the person a judge of the organisation and puts them on the round's panel."""

    reading_round = models.ForeignKey(ReadingRound, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    stages = models.CharField(_("stages"), max_length=5, choices=Stages.choices, default=Stages.FIRST)
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "submissions_judgeinvitation"
        ordering = ["reading_round", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["reading_round", "email"], name="judgeinvitation_unique_email"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.reading_round}"


class Assignment(models.Model):
    """An entry given to a judge for one stage. Active until the judge declares a conflict or an organiser
    withdraws it; an ended assignment's score no longer counts."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Assigned")
        CONFLICT = "conflict", _("Conflict of interest declared")
        WITHDRAWN = "withdrawn", _("Withdrawn by the organisers")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="assignments")
    judge = models.ForeignKey(RoundJudge, on_delete=models.CASCADE, related_name="assignments")
    stage = models.PositiveSmallIntegerField(default=ReadingRound.SHORTLIST_STAGE)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    extra = models.BooleanField(default=False)  # added because the judges disagreed strongly
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(  # None = the automatic assignment
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "submissions_assignment"
        ordering = ["entry", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "judge", "stage"], name="assignment_unique_judge_entry_stage"),
            models.CheckConstraint(condition=Q(stage__in=[1, 2]), name="assignment_stage"),
        ]
        indexes = [models.Index(fields=["judge", "stage", "state"], name="assignment_queue_idx")]

    def __str__(self) -> str:
        return f"{self.entry} → {self.judge.user}"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class JudgeScore(models.Model):
    """One judge's score of one entry in one stage: a draft until ``submitted_at`` is set.

    ``total`` is the weighted sum of the marks, kept for the boards; ``verify_results`` recomputes it from
    the marks. ``version`` is the recording that was scored (a replaced recording is flagged).
    """

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="score")
    version = models.ForeignKey(EntryVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    total = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment for the organisers"), max_length=2000, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "submissions_judgescore"
        ordering = ["assignment", "pk"]

    def __str__(self) -> str:
        return f"{self.assignment}: {self.total}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class CriterionMark(models.Model):
    """A judge's mark for one criterion (empty in a draft)."""

    score = models.ForeignKey(JudgeScore, on_delete=models.CASCADE, related_name="marks")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="marks")
    value = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        db_table = "submissions_criterionmark"
        ordering = ["score", "criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["score", "criterion"], name="mark_unique_per_criterion"),
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=0), name="mark_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"
