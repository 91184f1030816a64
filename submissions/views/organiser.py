"""Organiser pages of a reading round: settings, moderation queue, one entry, requeue, originals as a zip.

Every view fetches its object through an ``access_*`` selector scoped to the user's organisations, which
answers 404 both for what does not exist and for what belongs to another organisation.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contest_site.serving import streaming_response
from contests.organiser_area import form_errors_to_messages, organiser_required

from .. import selectors, services
from ..archive import zip_stream
from ..forms import ModerationForm, QueueFilterForm, ReadingRoundForm
from ..models import EntryVersion

QUEUE_PAGE = 200


@organiser_required
def round_settings(request, round_id: int):
    rnd, reading_round = selectors.access_round_settings_for_organiser(user=request.user, round_id=round_id)
    form = ReadingRoundForm(request.POST or None, instance=reading_round, rnd=rnd)
    if request.method == "POST" and form.is_valid():
        try:
            services.reading_round_configure(rnd=rnd, settings=form.settings())
        except ValidationError as exc:
            form_errors_to_messages(request, exc, form)
        else:
            messages.success(request, _("Read-aloud settings saved."))
            return redirect("organiser_reading_round", round_id=rnd.pk)
    summary = selectors.round_summary(reading_round=reading_round) if reading_round else None
    return render(
        request,
        "submissions/organiser/settings.html",
        {"rnd": rnd, "event": rnd.event, "reading_round": reading_round, "form": form, "summary": summary},
    )


def _filtered(request, reading_round):
    filter_form = QueueFilterForm(request.GET or None, reading_round=reading_round)
    return filter_form, selectors.moderation_entries(reading_round=reading_round, filters=filter_form.filters())


@organiser_required
def entry_queue(request, round_id: int):
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    if request.method == "POST":
        return _moderate(request, reading_round)
    filter_form, entries = _filtered(request, reading_round)
    shown = list(entries[:QUEUE_PAGE])
    labels = dict(EntryVersion.State.choices)
    for entry in shown:
        entry.latest_state_label = labels.get(entry.latest_state, "")
    return render(
        request,
        "submissions/organiser/queue.html",
        {
            "reading_round": reading_round,
            "rnd": reading_round.round,
            "event": reading_round.round.event,
            "filter_form": filter_form,
            "entries": shown,
            "total": entries.count(),
            "action_form": ModerationForm(reading_round=reading_round),
            "query": request.GET.urlencode(),
        },
    )


def _moderate(request, reading_round):
    """Bulk (ticked rows of the queue) or single (a form on an entry's page) moderation."""
    form = ModerationForm(request.POST, reading_round=reading_round)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("organiser_reading_entries", kwargs={"round_id": reading_round.round_id})
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    try:
        if data["action"] == "requeue":
            count = services.entries_requeue_failed(entries=data["entries"])
        else:
            count = services.entries_moderate(
                entries=data["entries"], action=data["action"], reason=data["reason"], by=request.user
            )
    except (ValidationError, services.EntryError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("%(n)d entries updated.") % {"n": count})
    return redirect(back)


@organiser_required
def entry_manage(request, entry_id: int):
    entry = selectors.access_entry_for_organiser(user=request.user, entry_id=entry_id)
    return render(
        request,
        "submissions/organiser/entry.html",
        {
            "entry": entry,
            "reading_round": entry.reading_round,
            "rnd": entry.reading_round.round,
            "event": entry.reading_round.round.event,
            "versions": list(entry.versions.order_by("-number")),
            "action_form": ModerationForm(reading_round=entry.reading_round),
            "author": entry.user,
            "votes": entry.votes.count(),
            "now": timezone.now(),
        },
    )


@require_POST
@organiser_required
def version_requeue(request, version_id: int):
    version = selectors.access_version_for_organiser(user=request.user, version_id=version_id)
    try:
        services.version_requeue(version=version)
    except services.EntryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The recording is queued for processing again."))
    return redirect("organiser_reading_entry", entry_id=version.entry_id)


def _archive_name(entry, version) -> str:
    author = slugify(getattr(getattr(entry.user, "profile", None), "full_name", "") or entry.user.get_username())
    title = slugify(entry.title)[:40] or "entry"
    return f"{entry.pk:05d}-{author or 'entry'}-{title}-v{version.number}.{version.extension}"


@organiser_required
def originals_zip(request, round_id: int):
    """The current originals of the filtered entries, for archiving (stored names never leave the server)."""
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    _form, entries = _filtered(request, reading_round)
    members = [
        (_archive_name(entry, entry.current), entry.current.original)
        for entry in entries.filter(current__isnull=False)
        if entry.current.original
    ]
    response = streaming_response(request, zip_stream(members), content_type="application/zip")
    name = f"{reading_round.round.event.slug}-round-{reading_round.round.position}-originals.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
