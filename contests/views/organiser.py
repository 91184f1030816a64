"""The organiser area. Every view fetches its object through an ``access_*`` selector, which answers 404
both for what does not exist and for what belongs to another organisation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contest_site import downloads
from contests.organiser_area import form_errors_to_messages, organiser_required

from .. import selectors, services
from ..forms import EventForm, OrganisationForm, RosterUploadForm, RoundForm
from ..models import Event, Region
from ..roster import RosterFileError, RosterRow, parse_roster, roster_template

ROSTER_SESSION_KEY = "roster_preview"


@organiser_required
def dashboard(request):
    organisations = selectors.organisations_organised_by(request.user).annotate(unit_count=Count("units"))
    events = selectors.events_managed_by(request.user).annotate(round_count=Count("rounds")).order_by("-opens_at")
    return render(request, "contests/organiser/dashboard.html", {"organisations": organisations, "events": events})


@organiser_required
def event_create(request):
    organisations = selectors.organisations_organised_by(request.user)
    form = EventForm(request.POST or None, request.FILES or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(
                organisation=form.cleaned_data["organisation"],
                by=request.user,
                fields=form.field_values(),
                eligible_regions=form.cleaned_data["eligible_regions"],
                banner=form.cleaned_data.get("banner"),
            )
        except ValidationError as exc:
            form_errors_to_messages(request, exc, form)
        else:
            messages.success(request, _("Event created as a draft. Add its rounds, then open it."))
            return redirect("organiser_event", event_id=event.pk)
    return render(request, "contests/organiser/event_form.html", {"form": form, "event": None})


@organiser_required
def event_manage(request, event_id: int):
    event = selectors.access_event_for_organiser(user=request.user, event_id=event_id)
    transitions = [
        (state, Event.State(state).label, services.event_transition_problems(event=event, to_state=state))
        for state in services.EVENT_TRANSITIONS[event.state]
    ]
    return render(
        request,
        "contests/organiser/event_manage.html",
        {
            "event": event,
            "rounds": event.rounds.order_by("position"),
            "transitions": transitions,
            "history": event.transitions.select_related("by"),
        },
    )


@organiser_required
def event_edit(request, event_id: int):
    event = selectors.access_event_for_organiser(user=request.user, event_id=event_id)
    form = EventForm(request.POST or None, request.FILES or None, instance=event)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(
                event=event,
                fields=form.field_values(),
                eligible_regions=form.cleaned_data["eligible_regions"],
                banner=form.cleaned_data.get("banner"),
            )
        except ValidationError as exc:
            event.refresh_from_db()
            form_errors_to_messages(request, exc, form)
        else:
            messages.success(request, _("Event saved."))
            return redirect("organiser_event", event_id=event.pk)
    return render(request, "contests/organiser/event_form.html", {"form": form, "event": event})


@require_POST
@organiser_required
def event_transition(request, event_id: int):
    event = selectors.access_event_for_organiser(user=request.user, event_id=event_id)
    to_state = request.POST.get("to_state", "")
    if to_state not in Event.State.values:
        messages.error(request, _("Unknown state."))
        return redirect("organiser_event", event_id=event.pk)
    try:
        services.event_transition(event=event, to_state=to_state, by=request.user)
    except services.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The event is now “%(state)s”.") % {"state": Event.State(to_state).label})
    return redirect("organiser_event", event_id=event.pk)


@organiser_required
def round_create(request, event_id: int):
    event = selectors.access_event_for_organiser(user=request.user, event_id=event_id)
    form = RoundForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            services.round_create(event=event, fields=form.field_values())
        except ValidationError as exc:
            form_errors_to_messages(request, exc, form)
        else:
            messages.success(request, _("Round added."))
            return redirect("organiser_event", event_id=event.pk)
    return render(request, "contests/organiser/round_form.html", {"form": form, "event": event, "round": None})


@organiser_required
def round_edit(request, round_id: int):
    rnd = selectors.access_round_for_organiser(user=request.user, round_id=round_id)
    form = RoundForm(request.POST or None, instance=rnd, event=rnd.event)
    if request.method == "POST" and form.is_valid():
        try:
            services.round_update(rnd=rnd, fields=form.field_values())
        except ValidationError as exc:
            form_errors_to_messages(request, exc, form)
        else:
            messages.success(request, _("Round saved."))
            return redirect("organiser_event", event_id=rnd.event_id)
    return render(request, "contests/organiser/round_form.html", {"form": form, "event": rnd.event, "round": rnd})


@require_POST
@organiser_required
def round_delete(request, round_id: int):
    rnd = selectors.access_round_for_organiser(user=request.user, round_id=round_id)
    try:
        services.round_delete(rnd=rnd)
    except ValidationError as exc:
        form_errors_to_messages(request, exc)
    else:
        messages.success(request, _("Round deleted."))
    return redirect("organiser_event", event_id=rnd.event_id)


@require_POST
@organiser_required
def round_move(request, round_id: int):
    rnd = selectors.access_round_for_organiser(user=request.user, round_id=round_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.round_move(rnd=rnd, offset=offset)
    except ValidationError as exc:
        form_errors_to_messages(request, exc)
    return redirect("organiser_event", event_id=rnd.event_id)


@organiser_required
def organisation_edit(request, slug: str):
    organisation = selectors.access_organisation_for_organiser(user=request.user, slug=slug)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(organisation=organisation, fields=form.cleaned_data)
        except ValidationError as exc:
            form_errors_to_messages(request, exc, form)
        else:
            messages.success(request, _("Organisation saved."))
            return redirect("organiser_organisation", slug=organisation.slug)
    units = organisation.units.select_related("region").order_by("group", "name")
    return render(
        request,
        "contests/organiser/organisation.html",
        {"organisation": organisation, "form": form, "units": units, "upload_form": RosterUploadForm()},
    )


@organiser_required
def roster_import(request, slug: str):
    """Upload → preview with row-by-row errors → confirm. Nothing is written until the roster is clean."""
    organisation = selectors.access_organisation_for_organiser(user=request.user, slug=slug)
    session_key = f"{ROSTER_SESSION_KEY}:{organisation.pk}"
    if request.method == "POST" and "confirm" in request.POST:
        rows = [RosterRow(**row) for row in request.session.get(session_key, [])]
        if not rows:
            messages.error(request, _("Upload the roster again: the preview has expired."))
            return redirect("organiser_organisation", slug=organisation.slug)
        try:
            result = services.roster_import(organisation=organisation, rows=rows)
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
        else:
            request.session.pop(session_key, None)
            messages.success(
                request,
                _("Roster imported: %(created)d units added, %(updated)d updated.")
                % {"created": result.created, "updated": result.updated},
            )
        return redirect("organiser_organisation", slug=organisation.slug)

    form = RosterUploadForm(request.POST or None, request.FILES or None)
    rows = None
    if request.method == "POST" and form.is_valid():
        known = set(Region.objects.values_list("code", flat=True))
        try:
            rows = parse_roster(form.cleaned_data["file"].read(), known_region_codes=known)
        except RosterFileError as exc:
            form.add_error("file", str(exc))
        else:
            request.session[session_key] = [row.as_dict() for row in rows]
    has_errors = rows is not None and any(row.errors for row in rows)
    return render(
        request,
        "contests/organiser/roster_import.html",
        {"organisation": organisation, "form": form, "rows": rows, "has_errors": has_errors},
    )


@organiser_required
def roster_template_download(request, slug: str):
    selectors.access_organisation_for_organiser(user=request.user, slug=slug)
    return downloads.attachment(roster_template(), filename="roster-template.xlsx", content_type=downloads.XLSX)
