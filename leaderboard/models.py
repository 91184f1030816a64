"""The leaderboard is a read model: one row per participant and round, written only by ``score_record``.

Every round kind (quiz, live, reading) reports here; this app imports none of them.
"""

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from contests.models import Round

from . import final, ranking

# Fields of a published row that carry the result; the names may still be fixed (display only).
RESULT_FIELDS = {"rank", "total", "prize", "prize_fixed", "round_points", "keys", "section", "result_set", "user"}


class ScoreQuerySet(models.QuerySet):
    """Bulk writers check the guard too: ``final.check_rounds`` refuses rounds whose results are published."""

    def update(self, **kwargs):
        final.check_rounds(self.values_list("round_id", flat=True).distinct())
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        final.check_rounds(self.values_list("round_id", flat=True).distinct())
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        final.check_rounds({o.round_id for o in objs})
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        objs = list(objs)
        final.check_rounds({o.round_id for o in objs})
        return super().bulk_update(objs, *args, **kwargs)


class PublishedQuerySet(models.QuerySet):
    """Every ResultSet/ResultRow is published: only the results services (``final.final_writes``) write them.
    Renaming (``name``/``full_name``) stays possible: it is not a result."""

    def update(self, **kwargs):
        if set(kwargs) & RESULT_FIELDS or self.model is not ResultRow:
            final.check_published()
        return super().update(**kwargs)

    def delete(self):
        final.check_published()
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        final.check_published()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        if set(fields) & RESULT_FIELDS or self.model is not ResultRow:
            final.check_published()
        return super().bulk_update(objs, fields, *args, **kwargs)


class Score(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="scores")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="round_scores")
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=2)
    max_points = models.DecimalField(_("maximum points"), max_digits=10, decimal_places=2)
    # Tie-break fields (DESIGN.md §4). A NULL prediction ranks after every given prediction.
    prediction = models.PositiveIntegerField(null=True, blank=True)
    time_used_ms = models.PositiveBigIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField()
    attempts_used = models.PositiveSmallIntegerField(default=1)
    registered_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScoreQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="score_unique_per_round")]
        indexes = [
            models.Index(fields=["round", "-points", "time_used_ms", "submitted_at"], name="score_board_idx"),
            models.Index(fields=["round", "-points", "submitted_at"], name="score_board_moment_idx"),
            # The default chain's ORDER BY (``ranking.default_chain``): the top 100 of a million scores
            # read about 100 index entries instead of sorting every tie of the best points value. Not the
            # final user id: with it the index covers the unit boards' grouped query, which SQLite then
            # reads in points order and joins to users at random (4x its CPU at 100,000 scores).
            models.Index(
                F("round"),
                F("points").desc(),
                ranking.time_used_key(),
                F("attempts_used"),
                F("registered_at"),
                name="score_board_chain_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.round} · {self.points}"

    def save(self, *args, **kwargs):
        final.check_rounds([self.round_id])
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        final.check_rounds([self.round_id])
        return super().delete(*args, **kwargs)

    @property
    def is_full_marks(self) -> bool:
        return self.points == self.max_points


class BoardConfig(models.Model):
    """How a round's board ranks and who sees it. Written by the app that runs the round (through
    ``board_configure``), read by every board; the leaderboard never asks that app anything."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="board_config")
    chain = models.JSONField(default=list)  # keys of leaderboard.ranking, best first
    hidden_until_close = models.BooleanField(default=False)  # a prediction round keeps its board shut
    # A round whose app says when every score is in (a quiz round: at closes_at + grace with every attempt
    # closed) awaits that release (``board_release``): a board hidden until close opens only then, and its
    # results cannot be published before.
    awaits_release = models.BooleanField(default=False)
    released_at = models.DateTimeField(null=True, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"board of {self.round}"


class FrozenRow(models.Model):
    """The public standings of a frozen round, as they were when the organiser froze it."""

    config = models.ForeignKey(BoardConfig, on_delete=models.CASCADE, related_name="frozen_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    points = models.DecimalField(max_digits=10, decimal_places=2)
    time_used_ms = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["config", "rank", "user_id"]
        indexes = [models.Index(fields=["config", "rank"])]


class ResultSet(models.Model):
    """Published results of an event (its weighted totals) or of one round (e.g. weekly prizes): an immutable
    snapshot with ranks and prizes. After publication a row changes only through a ``Correction``, which keeps
    the old value, the new one and the reason. ``chain`` names the keys stored in each row's ``keys``, so that
    ``verify_results`` re-ranks the snapshot from what it stores."""

    class SplitBy(models.TextChoices):
        NONE = "", _("one list")
        CATEGORY = "category", _("per category")
        GROUP = "group", _("per group (khối)")
        REGION = "region", _("per region")
        UNIT = "unit", _("per unit")

    event = models.OneToOneField(
        "contests.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="result_set"
    )
    round = models.OneToOneField(Round, null=True, blank=True, on_delete=models.CASCADE, related_name="result_set")
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    prizes = models.JSONField(default=dict)  # {"first": 1, "second": 2, "third": 3, "consolation": 5}
    unit_prizes = models.JSONField(default=list)  # [{"unit": name, "group": khối, "rate": "0.93", "prize": …}]
    chain = models.JSONField(default=list)  # the ranking keys applied, best first (see leaderboard.standings)
    full_marks_count = models.PositiveIntegerField(null=True, blank=True)  # for the prediction key
    split_by = models.CharField(max_length=10, choices=SplitBy.choices, blank=True, default="")
    # Prize counts of named prize lists when they differ from ``prizes`` ({"Học sinh": {"first": 1, …}}).
    section_prizes = models.JSONField(default=dict, blank=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event__isnull=False, round__isnull=True)
                | models.Q(event__isnull=True, round__isnull=False),
                name="resultset_event_xor_round",
            )
        ]

    def __str__(self) -> str:
        return f"results of {self.round or self.event}"

    def save(self, *args, **kwargs):
        final.check_published()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        final.check_published()
        return super().delete(*args, **kwargs)

    @property
    def owner_event(self):
        """The event the results belong to (a round's results belong to the round's event)."""
        return self.event if self.event_id else self.round.event


class ResultRow(models.Model):
    class Prize(models.TextChoices):
        FIRST = "first", _("First prize")
        SECOND = "second", _("Second prize")
        THIRD = "third", _("Third prize")
        CONSOLATION = "consolation", _("Consolation prize")

    result_set = models.ForeignKey(ResultSet, on_delete=models.CASCADE, related_name="rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="result_rows")
    name = models.CharField(max_length=120)  # as published (the participant's public-name choice)
    full_name = models.CharField(max_length=120)  # as printed on the certificate
    rank = models.PositiveIntegerField()
    total = models.DecimalField(max_digits=14, decimal_places=2)
    round_points = models.JSONField(default=dict)  # {"<round id>": "points"}: what verify_results re-checks
    keys = models.JSONField(default=list)  # the row's values of the set's chain, as published
    section = models.CharField(max_length=200, blank=True)  # its prize list (category, group…) when split
    prize = models.CharField(max_length=12, choices=Prize.choices, blank=True)
    # Set by an organiser's explicit prize correction (a disqualification, a prize given by the jury): the
    # row keeps that prize through later re-rankings, and the others' prizes are awarded around it.
    prize_fixed = models.BooleanField(default=False)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["result_set", "section", "rank", "pk"]
        constraints = [models.UniqueConstraint(fields=["result_set", "user"], name="resultrow_unique_user")]

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is None or set(kwargs["update_fields"]) & RESULT_FIELDS:
            final.check_published()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        final.check_published()
        return super().delete(*args, **kwargs)


class Correction(models.Model):
    """A change to published results, with its reason, shown in the public audit log."""

    result_set = models.ForeignKey(ResultSet, on_delete=models.CASCADE, related_name="corrections")
    row = models.ForeignKey(ResultRow, on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(max_length=20)
    old_value = models.CharField(max_length=60)
    new_value = models.CharField(max_length=60)
    reason = models.CharField(max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    FIELD_LABELS = {"total": _("Total"), "prize": _("Prize"), "rank": _("Rank"), "name": _("Name")}

    @property
    def field_label(self) -> str:
        return str(self.FIELD_LABELS.get(self.field, self.field))

    def _value_label(self, value: str) -> str:
        if self.field == "prize":
            return str(dict(ResultRow.Prize.choices).get(value, value))
        return value

    @property
    def old_label(self) -> str:
        return self._value_label(self.old_value)

    @property
    def new_label(self) -> str:
        return self._value_label(self.new_value)


class Certificate(models.Model):
    """A prize or participation certificate; its code and QR lead to the public verification page."""

    class Kind(models.TextChoices):
        PRIZE = "prize", _("Prize")
        PARTICIPATION = "participation", _("Participation")

    code = models.CharField(max_length=16, unique=True)
    row = models.ForeignKey(ResultRow, on_delete=models.CASCADE, related_name="certificates")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    issued_at = models.DateTimeField()
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["row", "kind"], condition=models.Q(revoked=False), name="certificate_one_valid_per_kind"
            )
        ]

    def __str__(self) -> str:
        return self.code


class UnitRules(models.Model):
    """How an event judges units for collective prizes: minimum participation rates by unit size, and how
    many units per group (khối) receive a unit prize. Set by the organiser."""

    event = models.OneToOneField("contests.Event", on_delete=models.CASCADE, related_name="unit_rules")
    # [[headcount up to (null = any larger), minimum rate 0–1], …] smallest units first
    min_rates = models.JSONField(default=list)
    prizes_per_group = models.PositiveSmallIntegerField(default=1)

    def __str__(self) -> str:
        return f"unit rules of {self.event}"
