"""Reads of the notifications app: only ever the signed-in person's own notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import QuerySet

from .models import Notification

if TYPE_CHECKING:
    from collections.abc import Iterable

BELL_MAX = 99  # the bell shows "99+" past this; counting further costs a query for nothing
# The bell is on every page of a signed-in person, the timed quiz's included: its count is cached, and
# dropped by every service that changes it (``bell_forget``). The time-out only bounds a missed drop.
BELL_TTL_S = 300


def notifications_of(*, user: Any) -> QuerySet[Notification]:
    """What the list page shows: the in-site notifications of ``user``, newest first."""
    return Notification.objects.filter(user=user, in_site=True)


def _bell_key(user: Any) -> str:
    # date_joined tells apart two accounts that got the same id (a test database, a restored backup)
    return f"notifications:bell:{user.pk}:{user.date_joined.timestamp()}"


def unread_count(*, user: Any) -> int:
    """How many in-site notifications ``user`` has not read (up to BELL_MAX + 1), from the cache if it has it."""
    key = _bell_key(user)
    count: int | None = cache.get(key)
    if count is None:
        count = notifications_of(user=user).filter(read_at__isnull=True)[: BELL_MAX + 1].count()
        cache.set(key, count, BELL_TTL_S)
    return count


def bell_forget(users: Iterable[Any]) -> None:
    """Drop the cached counts of ``users`` (after their notifications changed)."""
    cache.delete_many([_bell_key(user) for user in users])
