"""The bell's pages: my notifications, mark read, my preferences, and "remind me" of a round. Every view
reads and writes only the signed-in person's own rows."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contests.invites import SESSION_KEY as INVITE_SESSION_KEY
from contests.selectors import access_round_for_participant

from . import selectors, services
from .kinds import Kind
from .models import Notification

PAGE_SIZE = 30
CHANNELS = ("site", "email", "phone")


@login_required
def notification_list(request):
    page = Paginator(selectors.notifications_of(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request, notification_id: int):
    """Mark one notification read, then follow its link ("open") or come back to the list."""
    if not services.notification_mark_read(user=request.user, notification_id=notification_id):
        raise Http404
    if "open" in request.POST:
        url = Notification.objects.filter(pk=notification_id).values_list("url", flat=True).first() or ""
        if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
            return redirect(url)
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request):
    services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notification_list")


@login_required
def notification_preferences(request):
    """One row per kind, a checkbox per channel; the phone column only when a phone channel is configured."""
    if request.method == "POST":
        choices = {kind: {ch: f"{kind}:{ch}" in request.POST for ch in CHANNELS} for kind in Kind.values}
        services.preferences_set(user=request.user, choices=choices)
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notification_preferences")
    choices = services.preferences_of(user=request.user)
    rows = [(kind, label, choices[kind]) for kind, label in Kind.choices]
    profile = getattr(request.user, "profile", None)
    context = {
        "rows": rows,
        "has_phone_channel": bool(services.phone_channels()),
        "has_phone": bool(profile and profile.phone),
    }
    return render(request, "notifications/preferences.html", context)


@login_required
@require_POST
def round_remind(request, round_id: int):
    """Ask for (or cancel) the 24-hour reminders of a round the person can see."""
    codes = set(request.session.get(INVITE_SESSION_KEY, []))
    rnd = access_round_for_participant(user=request.user, round_id=round_id, invite_codes=codes)
    if services.round_reminder_toggle(user=request.user, rnd=rnd):
        messages.success(
            request, _("We will remind you 24 hours before “%(round)s” opens and closes.") % {"round": rnd.title}
        )
    else:
        messages.success(request, _("Reminders for “%(round)s” are cancelled.") % {"round": rnd.title})
    return redirect("event_detail", slug=rnd.event.slug)
