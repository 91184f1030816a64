"""A participant's own data (Decree 13/2023/NĐ-CP): the history of their consents and the record that their
account was erased at their request.

``contests.Profile`` holds the *current* consent stamps that the rest of the platform checks; the history
here keeps every withdrawal with its time (and the consent it withdrew), which the profile alone cannot.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentKind(models.TextChoices):
    DATA_PROCESSING = "data", _("Processing of my personal data")
    GUARDIAN = "guardian", _("My parent's or guardian's consent")


class ConsentEvent(models.Model):
    class Action(models.TextChoices):
        GIVEN = "given", _("Given")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_events")
    kind = models.CharField(max_length=10, choices=ConsentKind.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "action", "at"], name="consentevent_unique_moment"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Erasure(models.Model):
    """The account was erased at its owner's request: when, and what was done (numbers only, no data).

    The user row itself stays (inactive, renamed ``erased-<id>``): published results and scores point at it,
    and ranks must stay recomputable."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="erasure")
    at = models.DateTimeField()
    result_rows = models.PositiveIntegerField(default=0)
    files_deleted = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"erasure of {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
