"""The organisers' side of a forum: pin, lock, hide, best answer, the report queue, learning resources and
the contribution points. Every view fetches through an ``access_*_for_moderator`` selector (404 for others)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contests.selectors import access_round_for_organiser

from .. import selectors, services
from ..forms import ResourceForm
from ..models import Resource
from .threads import show_errors

TOPIC_ACTIONS = {
    "pin": (services.topic_pin, {"pinned": True}),
    "unpin": (services.topic_pin, {"pinned": False}),
    "lock": (services.topic_lock, {"locked": True}),
    "unlock": (services.topic_lock, {"locked": False}),
    "hide": (services.topic_hide, {"hidden": True}),
    "unhide": (services.topic_hide, {"hidden": False}),
}
POST_ACTIONS = {
    "hide": (services.post_hide, {"hidden": True}),
    "unhide": (services.post_hide, {"hidden": False}),
    "best": (services.post_mark_best, {"best": True}),
    "unbest": (services.post_mark_best, {"best": False}),
}


@login_required
def moderation(request, slug: str):
    event = selectors.access_forum_for_moderator(user=request.user, slug=slug)
    reports = list(selectors.reports_open(event=event))
    grouped: dict[int, dict] = {}
    for report in reports:
        grouped.setdefault(report.post_id, {"post": report.post, "reports": []})["reports"].append(report)
    context = {
        "event": event,
        "reported": list(grouped.values()),
        "hidden_posts": selectors.posts_hidden(event=event)[:50],
        "hidden_topics": event.forum_topics.filter(hidden=True),
        "resources": event.forum_resources.all(),
        "resource_form": ResourceForm(),
        "points_round": selectors.points_round_of(event=event),
    }
    return render(request, "forums/moderation.html", context)


@require_POST
@login_required
def topic_moderate(request, topic_id: int):
    topic = selectors.access_topic_for_moderator(user=request.user, topic_id=topic_id)
    action = TOPIC_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise Http404
    service, flags = action
    service(topic=topic, by=request.user, **flags)
    if request.POST.get("next") == "moderation":
        return redirect("forum_moderation", slug=topic.event.slug)
    return redirect(topic)


@require_POST
@login_required
def post_moderate(request, post_id: int):
    post = selectors.access_post_for_moderator(user=request.user, post_id=post_id)
    action = POST_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise Http404
    service, flags = action
    try:
        service(post=post, by=request.user, **flags)
    except services.ForumError as exc:
        messages.error(request, str(exc))
    if request.POST.get("next") == "moderation":
        return redirect("forum_moderation", slug=post.topic.event.slug)
    return redirect(selectors.post_location(post=post))


@require_POST
@login_required
def report_decide(request, post_id: int):
    post = selectors.access_post_for_moderator(user=request.user, post_id=post_id)
    decision = request.POST.get("decision", "")
    if decision not in ("hide", "dismiss"):
        raise Http404
    count = services.report_resolve(post=post, by=request.user, hide=decision == "hide")
    messages.success(request, _("%(count)d report(s) decided.") % {"count": count})
    return redirect("forum_moderation", slug=post.topic.event.slug)


@require_POST
@login_required
def resource_add(request, slug: str):
    event = selectors.access_forum_for_moderator(user=request.user, slug=slug)
    form = ResourceForm(request.POST)
    if form.is_valid():
        try:
            services.resource_add(event=event, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("Resource added."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("forum_moderation", slug=event.slug)


@require_POST
@login_required
def resource_delete(request, resource_id: int):
    resource = Resource.objects.select_related("event").filter(pk=resource_id).first()
    if resource is None:
        raise Http404
    event = selectors.access_forum_for_moderator(user=request.user, slug=resource.event.slug)
    services.resource_delete(resource=resource, by=request.user)
    return redirect("forum_moderation", slug=event.slug)


@require_POST
@login_required
def points_recalculate(request, slug: str):
    """Recount everyone's contribution points (after a live session of the forum, for instance)."""
    event = selectors.access_forum_for_moderator(user=request.user, slug=slug)
    services.points_round(event=event)
    count = services.points_refresh_all(event=event, now=timezone.now())
    messages.success(request, _("Points recounted for %(count)d people.") % {"count": count})
    return redirect("forum_moderation", slug=event.slug)


@login_required
def organiser_forum_round(request, round_id: int):
    """The organiser's settings page of a forum's points round (``Round.get_settings_url``): moderation."""
    rnd = access_round_for_organiser(user=request.user, round_id=round_id)
    if rnd.kind != selectors.POINTS_ROUND_KIND:
        raise Http404
    return redirect("forum_moderation", slug=rnd.event.slug)
