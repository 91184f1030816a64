"""Notifications to participants: shown in the site (the bell) and delivered by e-mail or to the phone.

A notification is written once per person, kind and object (``key``): the database refuses a second one,
so the reminder sweep, a retried job or a double publication never notify anyone twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contests.models import Round

from .kinds import TEXTS, Kind


class Notification(models.Model):
    """One thing that happened to one person. ``in_site`` is their preference at creation time: a
    notification wanted by e-mail only is still a row (its delivery needs one) but stays out of the bell."""

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will be retried")
        GAVE_UP = "gave_up", _("Failed")
        NONE = "none", _("Nothing to send")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    key = models.CharField(max_length=80)  # the object it is about, e.g. "round:12"
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    in_site = models.BooleanField(default=True)
    channels = models.JSONField(default=list, blank=True)  # what to deliver: "email", backend paths
    delivered = models.JSONField(default=dict, blank=True)  # channel → ISO time, so a retry skips what went out
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="notification_once_per_object"),
        ]
        indexes = [
            models.Index(fields=["user", "in_site", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["delivery"], name="notification_delivery_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind} · {self.key}"

    @property
    def text(self) -> str:
        """The sentence, in the active language; a missing parameter shows as empty rather than failing."""
        template = str(TEXTS.get(self.kind, ""))
        return template % _Params(self.params)


class _Params(dict):
    def __missing__(self, key):
        return ""


class Preference(models.Model):
    """One person's choice for one kind: in the site, by e-mail, to the phone (SMS or Zalo OA). No row
    means the defaults (``kinds.DEFAULTS``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    site = models.BooleanField(_("in the site"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)
    phone = models.BooleanField(_("to my phone"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"


class RoundReminder(models.Model):
    """Someone asked to be reminded of a round ("Remind me" on the event page): they count as registered
    for it, beside those who already took part in an earlier round of the event."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="round_reminders")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="reminders")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "round"], name="round_reminder_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.round}"
