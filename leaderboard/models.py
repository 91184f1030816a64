"""The leaderboard is a read model: one row per participant and round, written only by ``score_record``.

Every round kind (quiz, live, reading) reports here; this app imports none of them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contests.models import Round


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

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="score_unique_per_round")]
        indexes = [
            models.Index(fields=["round", "-points", "time_used_ms", "submitted_at"], name="score_board_idx"),
            models.Index(fields=["round", "-points", "submitted_at"], name="score_board_moment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.round} · {self.points}"

    @property
    def is_full_marks(self) -> bool:
        return self.points == self.max_points


class BoardConfig(models.Model):
    """How a round's board ranks and who sees it. Written by the app that runs the round (through
    ``board_configure``), read by every board; the leaderboard never asks that app anything."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="board_config")
    chain = models.JSONField(default=list)  # keys of leaderboard.ranking, best first
    hidden_until_close = models.BooleanField(default=False)  # a prediction round keeps its board shut
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
