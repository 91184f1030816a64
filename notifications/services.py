"""Every write of the notifications app: notify, deliver, mark read, preferences, round reminders.

``notify`` is what other apps call (through ``hooks.py`` for theirs). It never blocks the action that
caused it: the rows are written in a savepoint whose failure is logged and swallowed, and delivery (e-mail,
SMS, Zalo OA) is a background job enqueued after the action commits, whose failures are recorded on the
notification and retried by the sweep (``manage.py notify_rounds``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from contests.models import Event, Round

from .backends import backend
from .kinds import DEFAULTS, Kind
from .models import Notification, Preference, RoundReminder
from .selectors import bell_forget

log = logging.getLogger(__name__)

EMAIL = "email"
MAX_ATTEMPTS = 5
# A pending delivery older than this lost its job (worker stopped, enqueue failed): the sweep sends it.
LOST_AFTER = dt.timedelta(minutes=10)
REMIND_AHEAD = dt.timedelta(hours=24)


def phone_channels() -> list[str]:
    return list(getattr(settings, "NOTIFICATION_CHANNELS", []))


# --- Preferences --------------------------------------------------------------------------------


def preferences_of(*, user: Any) -> dict[str, dict[str, bool]]:
    """Each kind's choice for ``user``: their saved row or the defaults."""
    saved = {p.kind: p for p in Preference.objects.filter(user=user)}
    choices = {}
    for kind in Kind.values:
        row = saved.get(kind)
        choices[kind] = {"site": row.site, "email": row.email, "phone": row.phone} if row else dict(DEFAULTS)
    return choices


@transaction.atomic
def preferences_set(*, user: Any, choices: dict[str, dict[str, bool]]) -> None:
    """Save ``{kind: {"site", "email", "phone"}}`` for ``user``; unknown kinds are ignored."""
    for kind, choice in choices.items():
        if kind not in Kind.values:
            continue
        Preference.objects.update_or_create(
            user=user,
            kind=kind,
            defaults={
                "site": bool(choice.get("site")),
                "email": bool(choice.get("email")),
                "phone": bool(choice.get("phone")),
            },
        )


# --- Notify ---------------------------------------------------------------------------------------


def notify(
    user: Any,
    kind: str,
    *,
    key: str,
    params: dict[str, Any] | None = None,
    url: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Notify one person of one thing (``key`` names it: "appeal:12:answer"). Once only per person, kind and
    key. Returns how many notifications were written (0 or 1)."""
    return notify_many(user_ids=[user.pk], kind=kind, key=key, params=params, url=url, now=now)


def notify_many(
    *,
    user_ids: Iterable[int],
    kind: str,
    key: str,
    params: dict[str, Any] | None = None,
    url: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Notify many people of one thing (a publication, a round that opens); never raises.

    Called inside the action's transaction, so a rolled-back action notifies nobody; the rows go in a
    savepoint so that a failure here (logged) leaves the action intact.
    """
    try:
        with transaction.atomic():
            written = _write(
                user_ids=list(user_ids), kind=kind, key=key, params=params or {}, url=url, now=now or timezone.now()
            )
    except Exception:  # a notification must never undo or block what caused it
        log.exception("notification %s %s not written", kind, key)
        return 0
    if written:
        transaction.on_commit(lambda: _enqueue(kind, key))
    return written


def _write(*, user_ids: list[int], kind: str, key: str, params: dict[str, Any], url: str, now: dt.datetime) -> int:
    if not user_ids:
        return 0
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True).select_related("profile")
    saved = {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids, kind=kind)}
    existing = Notification.objects.filter(user_id__in=user_ids, kind=kind, key=key)
    already = set(existing.values_list("user_id", flat=True))
    rows = []
    for user in users:
        if user.pk in already:
            continue
        choice = saved.get(user.pk)
        site, email, phone = (
            (choice.site, choice.email, choice.phone)
            if choice
            else (DEFAULTS["site"], DEFAULTS["email"], DEFAULTS["phone"])
        )
        channels = []
        if email and user.email:
            channels.append(EMAIL)
        profile = getattr(user, "profile", None)
        if phone and profile is not None and profile.phone:
            channels.extend(phone_channels())
        if not site and not channels:
            continue
        rows.append(
            Notification(
                user=user,
                kind=kind,
                key=key,
                params=params,
                url=url,
                in_site=site,
                channels=channels,
                delivery=Notification.Delivery.PENDING if channels else Notification.Delivery.NONE,
                created_at=now,
            )
        )
    # ignore_conflicts: two sweeps at once, or a retried job, meet the unique constraint and write nothing.
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    notified = [row.user for row in rows if row.in_site]
    bell_forget(notified)  # now for this request, and after commit for a request that read in between
    transaction.on_commit(lambda: bell_forget(notified))
    return len(rows)


def _enqueue(kind: str, key: str) -> None:
    from .tasks import deliver_notifications

    try:
        deliver_notifications.enqueue(kind, key)
    except Exception:  # the sweep delivers what was never enqueued (LOST_AFTER)
        log.exception("delivery job for %s %s not enqueued", kind, key)


# --- Delivery -------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path if path.startswith("/") else path


def _send_email(notification: Notification) -> None:
    context = {
        "notification": notification,
        "text": notification.text,
        "url": _absolute(notification.url) if notification.url else "",
        "preferences_url": _absolute(reverse("notification_preferences")),
    }
    subject = " ".join(render_to_string("notifications/email/subject.txt", context).split())
    body = render_to_string("notifications/email/body.txt", context)
    EmailMessage(subject=subject, body=body, to=[notification.user.email]).send()


def _send_phone(notification: Notification, path: str) -> None:
    phone = notification.user.profile.phone
    text = notification.text
    if notification.url:
        text = f"{text} {_absolute(notification.url)}"
    backend(path).send(phone=phone, text=text, notification=notification)


def notification_deliver(*, notification: Notification, now: dt.datetime | None = None) -> str:
    """Send ``notification`` on each of its channels not yet done; record what went out and what failed.

    A channel that succeeded is never sent again (``delivered``); after ``MAX_ATTEMPTS`` failures the
    notification is given up and logged, so that a provider that is down does not fill the queue forever.
    Texts are in the site's default language, as e-mails are read outside any session.
    """
    now = now or timezone.now()
    errors = []
    with translation.override(settings.LANGUAGE_CODE):
        for channel in notification.channels:
            if channel in notification.delivered:
                continue
            try:
                if channel == EMAIL:
                    _send_email(notification)
                else:
                    _send_phone(notification, channel)
            except Exception as exc:  # any provider error is recorded, then retried
                errors.append(f"{channel}: {exc!r}"[:500])
            else:
                notification.delivered[channel] = now.isoformat()
    notification.attempts += 1
    if not errors:
        notification.delivery, notification.last_error = Notification.Delivery.SENT, ""
    else:
        notification.last_error = "\n".join(errors)
        gave_up = notification.attempts >= MAX_ATTEMPTS
        notification.delivery = Notification.Delivery.GAVE_UP if gave_up else Notification.Delivery.FAILED
        log.warning(
            "notification %s delivery failed (attempt %d): %s",
            notification.pk,
            notification.attempts,
            notification.last_error,
        )
    notification.save(update_fields=["delivered", "delivery", "attempts", "last_error"])
    return notification.delivery


def _claim(pk: int) -> Notification | None:
    """Take one notification for delivery; None if another worker took it or it is done."""
    waiting = [Notification.Delivery.PENDING, Notification.Delivery.FAILED]
    with transaction.atomic():
        return (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user__profile")
            .filter(pk=pk, delivery__in=waiting)
            .first()
        )


def notifications_deliver_pending(*, kind: str, key: str) -> int:
    """The delivery job: send every pending notification of one thing. Returns how many went out."""
    ids = Notification.objects.filter(kind=kind, key=key, delivery=Notification.Delivery.PENDING).values_list(
        "pk", flat=True
    )
    return _deliver_ids(list(ids))


def _deliver_ids(ids: list[int]) -> int:
    sent = 0
    for pk in ids:
        notification = _claim(pk)
        if notification is not None and notification_deliver(notification=notification) == Notification.Delivery.SENT:
            sent += 1
    return sent


def notifications_retry(*, now: dt.datetime | None = None) -> int:
    """The sweep's safety net: retry failed deliveries and send pending ones whose job was lost."""
    now = now or timezone.now()
    due = Notification.objects.filter(
        Q(delivery=Notification.Delivery.FAILED)
        | Q(delivery=Notification.Delivery.PENDING, created_at__lt=now - LOST_AFTER)
    )
    return _deliver_ids(list(due.values_list("pk", flat=True)[:1000]))


# --- Reading ----------------------------------------------------------------------------------------


def notification_mark_read(*, user: Any, notification_id: int, now: dt.datetime | None = None) -> bool:
    """Mark one of ``user``'s notifications read; False when it is not theirs (or does not exist)."""
    now = now or timezone.now()
    mine = Notification.objects.filter(pk=notification_id, user=user)
    if not mine.exists():
        return False
    if mine.filter(read_at__isnull=True).update(read_at=now):
        bell_forget([user])
    return True


def notifications_mark_all_read(*, user: Any, now: dt.datetime | None = None) -> int:
    marked = Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now or timezone.now())
    bell_forget([user])
    return marked


# --- Rounds: reminders and the 24-hour sweep -----------------------------------------------------------


def round_reminder_toggle(*, user: Any, rnd: Round) -> bool:
    """Ask for (or cancel) the reminders of ``rnd``; returns whether ``user`` is now registered for them."""
    deleted, _ = RoundReminder.objects.filter(user=user, round=rnd).delete()
    if deleted:
        return False
    RoundReminder.objects.get_or_create(user=user, round=rnd)
    return True


def round_registered_user_ids(*, rnd: Round) -> set[int]:
    """Who counts as registered for ``rnd``: those who asked for its reminders, and those who took part in
    another round of the same event (their score row is their registration in it)."""
    score = apps.get_model("leaderboard", "Score")
    asked = RoundReminder.objects.filter(round=rnd).values_list("user_id", flat=True)
    took_part = score.objects.filter(round__event_id=rnd.event_id).exclude(round=rnd).values_list("user_id", flat=True)
    return set(asked) | set(took_part)


def _when(moment: dt.datetime) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def rounds_remind(*, now: dt.datetime | None = None) -> int:
    """Notify registered participants of rounds that open, or close, within the next 24 hours.

    Idempotent: the key names the round and its time, so a second run writes nothing, and a round moved to
    a new time reminds again for the new time. Whoever already has a score in a closing round was not
    waiting for a reminder.
    """
    now = now or timezone.now()
    live = Round.objects.filter(event__state=Event.State.OPEN).select_related("event")
    written = 0
    for rnd in live.filter(opens_at__gt=now, opens_at__lte=now + REMIND_AHEAD):
        written += notify_many(
            user_ids=round_registered_user_ids(rnd=rnd),
            kind=Kind.ROUND_OPENS,
            key=f"round:{rnd.pk}:{int(rnd.opens_at.timestamp())}",
            params={"round": str(rnd), "at": _when(rnd.opens_at)},
            url=_round_url(rnd),
            now=now,
        )
    score = apps.get_model("leaderboard", "Score")
    for rnd in live.filter(opens_at__lte=now, closes_at__gt=now, closes_at__lte=now + REMIND_AHEAD):
        done = set(score.objects.filter(round=rnd).values_list("user_id", flat=True))
        written += notify_many(
            user_ids=round_registered_user_ids(rnd=rnd) - done,
            kind=Kind.ROUND_CLOSES,
            key=f"round:{rnd.pk}:{int(rnd.closes_at.timestamp())}",
            params={"round": str(rnd), "at": _when(rnd.closes_at)},
            url=_round_url(rnd),
            now=now,
        )
    return written


def _round_url(rnd: Round) -> str:
    return rnd.get_absolute_url() or reverse("event_detail", kwargs={"slug": rnd.event.slug})
