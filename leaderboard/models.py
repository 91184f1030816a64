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
        indexes = [models.Index(fields=["round", "-points", "time_used_ms", "submitted_at"], name="score_board_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.round} · {self.points}"

    @property
    def is_full_marks(self) -> bool:
        return self.points == self.max_points
