"""Read-aloud rounds: their settings, participants' entries, the uploaded versions of each entry, votes.

An ``Entry`` is what a participant enters (title, note, consent to publish); each file they send is an
``EntryVersion``. The entry points at its ``current`` version — the last one that became ready — so a
replacement never leaves the entry without something playable: the previous version stays current until
the new one is ready, then it is marked superseded and its files are deleted.

Invariants that must hold whatever writes the rows are database constraints: one vote per account and
entry, entry numbers within a participant's quota are unique, version numbers are unique per entry.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from contests.models import Round

from ..media_probe import MediaRules, reason_text

MB = 1024 * 1024


def new_token() -> str:
    """A folder name that reveals nothing: not the user, the round, nor the original file name."""
    return secrets.token_hex(16)


def original_path(version: EntryVersion, filename: str) -> str:
    return f"entries/{version.token}/original.{version.extension or 'bin'}"


def media_path(version: EntryVersion, filename: str) -> str:
    return f"entries/{version.token}/media.mp4"


def poster_path(version: EntryVersion, filename: str) -> str:
    return f"entries/{version.token}/poster.jpg"


class ReadingRound(models.Model):
    """The settings of a read-aloud round (``contests.Round`` of kind reading).

    The submission deadline defaults to the round's close; judging and the public vote have their own
    windows. ``vote_weight`` is the share w of normalised public votes in the final score:
    final = judges × (1 − w) + votes × w (DESIGN.md §4). The judging settings (judges per entry, blind
    judging, how totals are averaged, two stages…) are explained rule by rule in ``judging.scoring``
    and ``judging.services``.
    """

    class Media(models.TextChoices):
        AUDIO = "audio", _("Audio only")
        VIDEO = "video", _("Video only")
        BOTH = "both", _("Audio or video")

    class Entrants(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual entries")
        GROUP = "group", _("Group entries (a group name and its members)")

    class VoteTotals(models.TextChoices):
        LIVE = "live", _("Shown live while voting is open")
        AT_END = "at_end", _("Hidden until voting ends")

    class Averaging(models.TextChoices):
        MEAN = "mean", _("Mean of the judges' totals")
        TRIMMED = "trimmed", _("Trimmed mean: with 4 judges or more, drop the highest and the lowest total")

    SHORTLIST_STAGE, FINAL_STAGE = 1, 2

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="reading_settings")
    passage = models.TextField(
        _("passage or reading list"), blank=True, help_text=_("Markdown: the text to read, or the list of books.")
    )
    book_title = models.CharField(_("book or resource title"), max_length=200, blank=True)
    book_url = models.URLField(_("link to the book or open educational resource"), blank=True)
    media = models.CharField(_("recordings accepted"), max_length=5, choices=Media.choices, default=Media.BOTH)
    min_duration_s = models.PositiveIntegerField(_("minimum duration (seconds)"), default=60)
    max_duration_s = models.PositiveIntegerField(_("maximum duration (seconds)"), default=600)
    max_size_mb = models.PositiveIntegerField(_("maximum file size (MB)"), default=300)
    min_video_lines = models.PositiveSmallIntegerField(
        _("minimum video resolution (lines)"),
        default=360,
        help_text=_("The shorter side of the picture, e.g. 480 for 480p. 0 = no minimum."),
    )
    entries_per_participant = models.PositiveSmallIntegerField(_("entries per participant"), default=1)
    entrants = models.CharField(_("entries by"), max_length=10, choices=Entrants.choices, default=Entrants.INDIVIDUAL)
    submission_deadline = models.DateTimeField(
        _("submission deadline"), null=True, blank=True, help_text=_("Empty = when the round closes.")
    )
    judging_opens_at = models.DateTimeField(_("judging opens at"), null=True, blank=True)
    judging_closes_at = models.DateTimeField(_("judging closes at"), null=True, blank=True)
    gallery_enabled = models.BooleanField(
        _("public gallery"), default=True, help_text=_("Approved entries whose authors consented are shown publicly.")
    )
    voting_enabled = models.BooleanField(_("public vote"), default=False)
    voting_opens_at = models.DateTimeField(_("voting opens at"), null=True, blank=True)
    voting_closes_at = models.DateTimeField(_("voting closes at"), null=True, blank=True)
    vote_weight = models.DecimalField(
        _("weight of the public vote"),
        max_digits=3,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Share of the normalised public votes in the final score, from 0 to 1."),
    )
    vote_totals = models.CharField(
        _("vote totals"), max_length=6, choices=VoteTotals.choices, default=VoteTotals.AT_END
    )
    # --- Judging (issue 6) ---
    judges_per_entry = models.PositiveSmallIntegerField(
        _("judges per entry"), default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    blind_judging = models.BooleanField(
        _("blind judging"),
        default=True,
        help_text=_("Judges see neither the author's name, organisation or region, nor the group's members."),
    )
    averaging = models.CharField(
        _("entry score from its judges' totals"), max_length=8, choices=Averaging.choices, default=Averaging.MEAN
    )
    normalise_judges = models.BooleanField(
        _("normalise each judge's totals (z-scores)"),
        default=False,
        help_text=_(
            "Removes the bias of lenient and harsh judges: each judge's totals are expressed as distances from "
            "that judge's own average, then put back on the rubric's scale."
        ),
    )
    disagreement_percent = models.PositiveSmallIntegerField(
        _("strong disagreement above (percentage of the maximum)"),
        default=25,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("An entry is flagged when its highest and lowest judge totals differ by more than this."),
    )
    extra_judge_on_disagreement = models.BooleanField(
        _("send a strongly disputed entry to an extra judge automatically"), default=False
    )
    shortlist_size = models.PositiveSmallIntegerField(
        _("finalists (two-stage judging)"),
        default=0,
        help_text=_("0 = one stage. Otherwise the best N entries of the shortlist stage go to a final stage."),
    )
    final_judges_per_entry = models.PositiveSmallIntegerField(
        _("judges per entry in the final stage"), default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    finalise_at_close = models.BooleanField(
        _("finalise when the judging window closes"),
        default=True,
        help_text=_("Final scores go to the leaderboard automatically at the end of the judging window."),
    )
    judging_stage = models.PositiveSmallIntegerField(default=SHORTLIST_STAGE, editable=False)
    judging_finalised_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("reading round settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_duration_s__gt=F("min_duration_s")), name="readinground_duration_range"
            ),
            models.CheckConstraint(condition=Q(max_size_mb__gte=1), name="readinground_size_min"),
            models.CheckConstraint(condition=Q(entries_per_participant__gte=1), name="readinground_entries_min"),
            models.CheckConstraint(
                condition=Q(vote_weight__gte=0) & Q(vote_weight__lte=1), name="readinground_vote_weight_range"
            ),
            models.CheckConstraint(
                condition=Q(judging_opens_at__isnull=True)
                | Q(judging_closes_at__isnull=True)
                | Q(judging_closes_at__gt=F("judging_opens_at")),
                name="readinground_judging_window",
            ),
            models.CheckConstraint(
                condition=Q(voting_opens_at__isnull=True)
                | Q(voting_closes_at__isnull=True)
                | Q(voting_closes_at__gt=F("voting_opens_at")),
                name="readinground_voting_window",
            ),
            models.CheckConstraint(condition=Q(judges_per_entry__gte=1), name="readinground_judges_min"),
            models.CheckConstraint(condition=Q(final_judges_per_entry__gte=1), name="readinground_final_judges_min"),
            models.CheckConstraint(
                condition=Q(disagreement_percent__gte=1) & Q(disagreement_percent__lte=100),
                name="readinground_disagreement_range",
            ),
            models.CheckConstraint(condition=Q(judging_stage__in=[1, 2]), name="readinground_judging_stage"),
        ]

    def __str__(self) -> str:
        return str(self.round)

    @property
    def deadline(self) -> dt.datetime:
        return self.submission_deadline or self.round.closes_at

    @property
    def max_bytes(self) -> int:
        return self.max_size_mb * MB

    @property
    def allows_audio(self) -> bool:
        return self.media in (self.Media.AUDIO, self.Media.BOTH)

    @property
    def allows_video(self) -> bool:
        return self.media in (self.Media.VIDEO, self.Media.BOTH)

    @property
    def is_group(self) -> bool:
        return self.entrants == self.Entrants.GROUP

    def media_rules(self) -> MediaRules:
        return MediaRules(
            allow_audio=self.allows_audio,
            allow_video=self.allows_video,
            min_duration_s=self.min_duration_s,
            max_duration_s=self.max_duration_s,
            max_bytes=self.max_bytes,
            min_video_lines=self.min_video_lines,
        )

    def accepts_entries(self, now: dt.datetime) -> bool:
        return self.round.opens_at <= now < self.deadline

    def voting_open(self, now: dt.datetime) -> bool:
        return bool(
            self.voting_enabled
            and self.gallery_enabled
            and self.voting_opens_at
            and self.voting_closes_at
            and self.voting_opens_at <= now < self.voting_closes_at
        )

    def vote_totals_visible(self, now: dt.datetime) -> bool:
        """Live totals sway late voters; a round may keep them hidden until the vote closes."""
        if not self.voting_enabled:
            return False
        if self.vote_totals == self.VoteTotals.LIVE:
            return True
        return self.voting_closes_at is not None and now >= self.voting_closes_at

    # --- Judging window: one clock for every check (services pass their ``now``) ---

    @property
    def two_stage(self) -> bool:
        return self.shortlist_size > 0

    @property
    def in_final_stage(self) -> bool:
        return self.judging_stage == self.FINAL_STAGE

    @property
    def vote_share_weight(self):
        """The w of the final formula: 0 when the round has no public vote, whatever the field says."""
        return self.vote_weight if self.voting_enabled else 0

    def judging_started(self, now: dt.datetime) -> bool:
        """Judging opens at its window's start; without one, as entries arrive (rolling judging)."""
        return self.judging_opens_at is None or now >= self.judging_opens_at

    def judging_closed(self, now: dt.datetime) -> bool:
        """Closed once finalised or at the end of its window. Only then may judges see the panel and the votes."""
        if self.judging_finalised_at is not None:
            return True
        return self.judging_closes_at is not None and now >= self.judging_closes_at

    def judging_open(self, now: dt.datetime) -> bool:
        return self.judging_started(now) and not self.judging_closed(now)

    def clean(self) -> None:
        errors = {}
        durations = (self.min_duration_s, self.max_duration_s)
        if None not in durations and durations[1] <= durations[0]:
            errors["max_duration_s"] = _("The maximum duration must be longer than the minimum.")
        rnd = self.round if self.round_id else None
        if rnd and self.submission_deadline and not rnd.opens_at < self.submission_deadline <= rnd.closes_at:
            errors["submission_deadline"] = _("The deadline must fall inside the round's window.")
        if self.judging_opens_at and self.judging_closes_at and self.judging_closes_at <= self.judging_opens_at:
            errors["judging_closes_at"] = _("Judging must close after it opens.")
        if rnd and self.judging_opens_at and self.judging_opens_at < self.deadline:
            errors["judging_opens_at"] = _("Judging starts after the submission deadline.")
        if self.voting_enabled:
            errors.update(self._voting_errors())
        if self.shortlist_size == 1:
            errors["shortlist_size"] = _("A final stage needs at least 2 finalists (0 = one stage).")
        if errors:
            raise ValidationError(errors)

    def _voting_errors(self) -> dict:
        errors = {}
        if not self.gallery_enabled:
            errors["voting_enabled"] = _("The public vote happens in the gallery: turn the gallery on.")
        if not self.voting_opens_at:
            errors["voting_opens_at"] = _("Give the voting window.")
        if not self.voting_closes_at:
            errors["voting_closes_at"] = _("Give the voting window.")
        elif self.voting_opens_at and self.voting_closes_at <= self.voting_opens_at:
            errors["voting_closes_at"] = _("Voting must close after it opens.")
        return errors


class Entry(models.Model):
    """One participant's entry in a reading round; its recordings are its versions."""

    class Moderation(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved for the gallery")
        HIDDEN = "hidden", _("Hidden from the gallery")
        REJECTED = "rejected", _("Rejected")

    reading_round = models.ForeignKey(ReadingRound, on_delete=models.CASCADE, related_name="entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_entries")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(_("title"), max_length=200)
    note = models.TextField(_("short note"), max_length=1000, blank=True)
    group_name = models.CharField(_("group name"), max_length=200, blank=True)
    group_members = models.TextField(_("group members"), max_length=2000, blank=True)
    consent_publish = models.BooleanField(
        _("I agree that this entry may be shown in the public gallery"), default=False
    )
    current = models.ForeignKey(
        "EntryVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    moderation = models.CharField(max_length=10, choices=Moderation.choices, default=Moderation.PENDING)
    moderation_reason = models.CharField(_("reason"), max_length=300, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    shortlisted = models.BooleanField(default=False, editable=False)  # in the final stage of two-stage judging
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["reading_round", "created_at", "pk"]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [
            # The quota is checked by the service; this makes two simultaneous sends unable to exceed it.
            models.UniqueConstraint(fields=["reading_round", "user", "number"], name="entry_unique_number"),
        ]
        indexes = [models.Index(fields=["reading_round", "moderation"], name="entry_moderation_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def in_gallery(self) -> bool:
        return self.moderation == self.Moderation.APPROVED and self.consent_publish and self.current_id is not None

    @property
    def blind_code(self) -> str:
        """What judges call an entry in blind judging: stable, unguessable from the id, says nothing of the author."""
        return "#" + salted_hmac("submissions.blind-code", str(self.pk)).hexdigest()[:6].upper()

    @property
    def judgeable(self) -> bool:
        """Judges score entries with a playable recording that the organisers have not rejected."""
        return self.current_id is not None and self.moderation != self.Moderation.REJECTED


class EntryVersion(models.Model):
    """One file sent for an entry, and what processing made of it.

    received → processing → ready | rejected (the file is not acceptable; ``reason_code``) | failed (our
    side failed after retries; ``error`` for the organisers). A ready version is superseded when a newer
    one becomes ready.
    """

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSING = "processing", _("Processing")
        READY = "ready", _("Ready")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Processing failed")
        SUPERSEDED = "superseded", _("Replaced")

    class Source(models.TextChoices):
        RECORDED = "recorded", _("Recorded in the browser")
        UPLOADED = "uploaded", _("Uploaded file")

    class Kind(models.TextChoices):
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")

    PENDING_STATES = (State.RECEIVED, State.PROCESSING)

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.UPLOADED)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    extension = models.CharField(max_length=8)
    original = models.FileField(upload_to=original_path, max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    original_size = models.PositiveBigIntegerField(default=0)
    container = models.CharField(max_length=60, blank=True)
    audio_codec = models.CharField(max_length=30, blank=True)
    video_codec = models.CharField(max_length=30, blank=True)
    width = models.PositiveSmallIntegerField(default=0)
    height = models.PositiveSmallIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    media = models.FileField(upload_to=media_path, max_length=200, blank=True)
    poster = models.FileField(upload_to=poster_path, max_length=200, blank=True)
    peaks = models.JSONField(default=list, blank=True)
    reason_code = models.CharField(max_length=30, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    job_id = models.CharField(max_length=64, blank=True)  # the queued processing job (django-tasks result id)
    received_at = models.DateTimeField()
    processing_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["entry", "number"]
        constraints = [models.UniqueConstraint(fields=["entry", "number"], name="entryversion_unique_number")]
        indexes = [models.Index(fields=["state", "processing_started_at"], name="entryversion_sweep_idx")]

    def __str__(self) -> str:
        return f"{self.entry} · v{self.number}"

    @property
    def is_pending(self) -> bool:
        return self.state in self.PENDING_STATES

    @property
    def reason(self) -> str:
        """Why the file was refused, in the language of the page being rendered."""
        return reason_text(self.reason_code, self.reason_params) if self.reason_code else ""

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(milliseconds=self.duration_ms)


class Vote(models.Model):
    """One public vote: one per account and entry, enforced here so that no race can double it."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_votes")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "user"], name="vote_one_per_account_and_entry")]

    def __str__(self) -> str:
        return f"{self.user} → {self.entry}"
