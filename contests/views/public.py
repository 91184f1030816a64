"""Pages anyone can see: the home page, event pages and their banners."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contest_site import ratelimit
from contest_site.serving import media_response

from .. import selectors, services
from ..eligibility import eligibility_problems
from ..invites import SESSION_KEY as INVITE_SESSION_KEY
from ..invites import remember
from ..models import Event


def home(request):
    now = timezone.now()
    events = list(selectors.events_listed(now=now))
    sections = [(kind, label, [e for e in events if e.kind == kind]) for kind, label in Event.Kind.choices]
    return render(
        request,
        "contests/home.html",
        {"sections": sections, "past_events": selectors.events_past(now=now), "now": now},
    )


def event_detail(request, slug: str):
    now = timezone.now()
    codes = set(request.session.get(INVITE_SESSION_KEY, []))
    event, unlocked = selectors.access_event_for_visitor(user=request.user, slug=slug, invite_codes=codes)
    context = {"event": event, "unlocked": unlocked, "now": now}
    if unlocked:
        context["rounds"] = [(rnd, rnd.phase(now)) for rnd in event.rounds.order_by("position")]
        context["eligible_regions"] = list(event.eligible_regions.all())
        if request.user.is_authenticated:
            profile = getattr(request.user, "profile", None)
            region_ids = selectors.region_with_descendants(r.pk for r in context["eligible_regions"])
            context["eligibility_problems"] = eligibility_problems(
                event=event, profile=profile, today=timezone.localdate(now), region_ids=region_ids
            )
    return render(request, "contests/event_detail.html", context)


@require_POST
def event_unlock(request, slug: str):
    event, _unlocked = selectors.access_event_for_visitor(user=request.user, slug=slug, invite_codes=set())
    try:
        opened = services.event_invite_check(
            event=event, code=request.POST.get("code", ""), ip=ratelimit.client_ip(request), user=request.user
        )
    except services.InviteCodeLimited as exc:
        return ratelimit.too_many(request, str(exc), back_url=event.get_absolute_url())
    if opened:
        remember(request, event)
    else:
        messages.error(request, _("That invite code is not right."))
    return redirect(event)


def event_banner(request, slug: str):
    """Serve a banner after the same visibility check as the event page (drafts stay private)."""
    codes = set(request.session.get(INVITE_SESSION_KEY, []))
    event, unlocked = selectors.access_event_for_visitor(user=request.user, slug=slug, invite_codes=codes)
    if not unlocked or not event.banner:
        raise Http404
    return media_response(request, event.banner)
