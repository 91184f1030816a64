"""Pages anyone can see: the home page, event pages and their banners."""

import hashlib

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contest_site import ratelimit
from contest_site.serving import media_response

from .. import selectors, services
from ..eligibility import eligibility_problems
from ..invites import SESSION_KEY as INVITE_SESSION_KEY
from ..invites import remember
from ..models import Event

HOME_PER_KIND = 12  # event cards per kind on the home page; the rest are one click away, paged
KIND_PAGE_SIZE = 24  # event cards per page of one kind's list
HOME_CACHE_S = 30  # bounds what the listing's signature cannot see (an organisation renamed)


def home(request):
    """Open and upcoming events by kind, at most ``HOME_PER_KIND`` each, and the latest past events.

    Rendering hundreds of event cards was the cost of this page (not its queries), so the cards are
    rendered once and cached under the listing's signature: per kind, how many events are listed, how
    many have opened, and the latest ``updated_at``. A change made through the services (an event edited,
    opened, closed, one reaching its opening time or its close) changes the signature and shows at once;
    anything else within ``HOME_CACHE_S`` seconds. ``?kind=<kind>&page=<n>`` lists one kind, paged."""
    now = timezone.now()
    kind = request.GET.get("kind")
    if kind in Event.Kind.values:
        return _kind_page(request, kind=kind, now=now)
    listed = selectors.events_listed(now=now).prefetch_related(None)
    signature = {
        row["kind"]: row
        for row in listed.order_by()
        .values("kind")
        .annotate(n=Count("pk"), opened=Count("pk", filter=Q(opens_at__lte=now)), latest=Max("updated_at"))
    }
    key = _sections_key(signature)
    fragment = cache.get(key)
    if fragment is None:
        sections = [
            (
                kind,
                label,
                list(listed.filter(kind=kind)[:HOME_PER_KIND]) if kind in signature else [],
                signature.get(kind, {}).get("n", 0),
            )
            for kind, label in Event.Kind.choices
        ]
        # No request: nothing of the visitor (context processors, CSRF) may enter a fragment shared by all.
        fragment = render_to_string("contests/_home_sections.html", {"sections": sections, "now": now})
        cache.set(key, fragment, HOME_CACHE_S)
    return render(
        request,
        "contests/home.html",
        {"sections_html": mark_safe(fragment), "past_events": selectors.events_past(now=now), "now": now},  # noqa: S308 - our own rendered template
    )


def _sections_key(signature: dict) -> str:
    parts = sorted((kind, row["n"], row["opened"], row["latest"].isoformat()) for kind, row in signature.items())
    digest = hashlib.blake2b(f"{translation.get_language()}|{parts}".encode(), digest_size=12).hexdigest()
    return f"home-sections:{digest}"


def _kind_page(request, *, kind: str, now):
    page = Paginator(
        selectors.events_listed(now=now).prefetch_related(None).filter(kind=kind), KIND_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "contests/home_kind.html",
        {"kind": kind, "label": Event.Kind(kind).label, "page": page, "now": now},
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
