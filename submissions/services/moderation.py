"""Moderation by organisers: approving, hiding, rejecting entries, and requeueing the failed ones in bulk."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import hooks as notification_hooks

from ..models import Entry, EntryVersion
from .processing import version_requeue

if TYPE_CHECKING:
    from collections.abc import Iterable

MODERATION_ACTIONS = {
    "approve": Entry.Moderation.APPROVED,
    "hide": Entry.Moderation.HIDDEN,
    "reject": Entry.Moderation.REJECTED,
    "pending": Entry.Moderation.PENDING,
}


def entries_moderate(
    *, entries: Iterable[Entry], action: str, by: Any, reason: str = "", now: dt.datetime | None = None
) -> int:
    """Approve, hide, reject (with a reason the participant sees) or reset entries; return how many changed.

    Only an entry with a playable version can be approved: the gallery never shows an empty player.
    """
    now = now or timezone.now()
    if action not in MODERATION_ACTIONS:
        raise ValidationError(_("Unknown moderation action."))
    reason = reason.strip()
    if action == "reject" and not reason:
        raise ValidationError(_("Give the participant a reason for the rejection."))
    targets = Entry.objects.filter(pk__in=[entry.pk for entry in entries])
    if action == "approve":
        targets = targets.filter(current__isnull=False)
    notification_hooks.entries_moderated(entries=targets, action=action, reason=reason, at=now)  # people16
    return targets.update(
        moderation=MODERATION_ACTIONS[action],
        moderation_reason=reason if action in ("reject", "hide") else "",
        moderated_by=by,
        moderated_at=now,
        updated_at=now,
    )


def entries_requeue_failed(*, entries: Iterable[Entry]) -> int:
    """Requeue the latest version of each entry when it failed (bulk action of the queue)."""
    count = 0
    for entry in entries:
        latest = entry.versions.order_by("-number").first()
        if latest is not None and latest.state == EntryVersion.State.FAILED:
            version_requeue(version=latest)
            count += 1
    return count
