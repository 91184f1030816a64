"""Appeals (phúc khảo): after a round's results are published, a participant asks for the review of one
question of their attempt or of their score; the organiser answers with a reason, and an accepted appeal
changes the published results only through the leaderboard's audited correction (``result_correct``).

The window is the round's (``AppealPolicy``; none means no appeals), counted from the first publication
that includes the round (its own weekly results or the event's). One open appeal per question and
participant, and at most ``max_per_round`` appeals per participant and round, so that the organiser's inbox
cannot be flooded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contests.models import Round
from quizzes.models import AttemptItem, Question


class AppealPolicy(models.Model):
    """A round's appeal window. Absent or ``days == 0``: the round takes no appeals."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="appeal_policy")
    days = models.PositiveSmallIntegerField(
        _("appeal window (days after publication)"), default=0, help_text=_("0 = no appeals.")
    )
    max_per_round = models.PositiveSmallIntegerField(_("appeals per participant"), default=3)

    class Meta:
        verbose_name = _("appeal policy")
        verbose_name_plural = _("appeal policies")
        constraints = [
            models.CheckConstraint(condition=Q(days__lte=60), name="appealpolicy_days_max"),
            models.CheckConstraint(condition=Q(max_per_round__gte=1), name="appealpolicy_max_min"),
        ]

    def __str__(self) -> str:
        return f"{self.round}: {self.days}"


class Appeal(models.Model):
    class Kind(models.TextChoices):
        QUESTION = "question", _("A question")
        SCORE = "score", _("My score")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    class Resolution(models.TextChoices):
        NONE = "", _("No change")
        AWARD = "award", _("The point awarded to the appellant")
        REKEY = "rekey", _("The question's key corrected and every attempt of the round regraded")
        POINTS = "points", _("The score changed")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="appeals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appeals")
    kind = models.CharField(_("about"), max_length=10, choices=Kind.choices)
    item = models.ForeignKey(AttemptItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.TextField(_("reason"), blank=True)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True, default="")
    # What the acceptance added to the appellant's round points (negative: removed); the rows it changed are
    # in the leaderboard's correction log.
    points_change = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "user", "question"],
                condition=Q(status="open", kind="question"),
                name="appeal_one_open_per_question",
            ),
            models.UniqueConstraint(
                fields=["round", "user"], condition=Q(status="open", kind="score"), name="appeal_one_open_score"
            ),
            models.CheckConstraint(
                condition=Q(kind="score", item__isnull=True) | Q(kind="question", item__isnull=False),
                name="appeal_question_has_item",
            ),
        ]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self) -> str:
        return f"appeal {self.pk} · {self.round} · {self.user}"


class AppealMessage(models.Model):
    """One message of an appeal's thread: the participant's request, replies, the organiser's answer."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_organiser = models.BooleanField(default=False)
    body = models.TextField(_("message"), max_length=4000)
    at = models.DateTimeField()

    class Meta:
        ordering = ["appeal", "at", "pk"]
