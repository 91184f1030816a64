"""Appeal pages: the participant asks and follows the thread; the event's organisers answer, set each round's
window and export the log. Views parse, authorise through a selector and call one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from contest_site import downloads, ratelimit
from contests.invites import SESSION_KEY
from contests.organiser_area import form_errors_to_messages, organiser_required
from contests.selectors import access_event_for_organiser, access_round_for_organiser, access_round_for_participant

from . import exports, selectors, services
from .forms import AnswerForm, AppealForm, MessageForm, PolicyForm
from .models import Appeal


@login_required
def round_appeals(request, round_id: int):
    """The participant's appeals of a round and, while the window is open, the form to ask for a review."""
    rnd = access_round_for_participant(
        user=request.user, round_id=round_id, invite_codes=set(request.session.get(SESSION_KEY, []))
    )
    now = timezone.now()
    items = list(selectors.appealable_items(rnd=rnd, user=request.user))
    form = AppealForm(request.POST or None, items=items)
    problems = services.appeal_problems(rnd=rnd, user=request.user, now=now)
    if request.method == "POST" and not problems and form.is_valid():
        try:
            appeal = services.appeal_create(
                rnd=rnd,
                user=request.user,
                kind=form.cleaned_data["kind"],
                item=form.chosen_item(),
                text=form.cleaned_data["text"],
                now=now,
            )
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
        else:
            messages.success(request, _("Your appeal was sent to the organisers."))
            return redirect("appeal_detail", appeal_id=appeal.pk)
    return render(
        request,
        "appeals/round_appeals.html",
        {
            "rnd": rnd,
            "event": rnd.event,
            "form": form,
            "problems": problems,
            "window": selectors.appeal_window(rnd=rnd),
            "appeals": selectors.my_appeals(rnd=rnd, user=request.user),
        },
    )


@login_required
def appeal_detail(request, appeal_id: int):
    """The appellant's thread; only they (and the event's organisers, on their own page) can read it."""
    appeal = selectors.access_appeal_for_appellant(user=request.user, appeal_id=appeal_id)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_message_add(
                appeal=appeal, author=request.user, body=form.cleaned_data["body"], from_organiser=False
            )
        except services.AppealLimited as exc:
            return ratelimit.too_many(request, exc.messages[0], back_url=request.path)
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
        else:
            return redirect("appeal_detail", appeal_id=appeal.pk)
    return render(request, "appeals/appeal_detail.html", _thread_context(appeal, form=form))


def _thread_context(appeal: Appeal, **extra) -> dict:
    return {
        "appeal": appeal,
        "rnd": appeal.round,
        "event": appeal.round.event,
        "thread": appeal.messages.select_related("author__profile"),
        **extra,
    }


@organiser_required
def organiser_inbox(request, event_id: int):
    """The event's appeals, waiting ones first, with each round's window."""
    event = access_event_for_organiser(user=request.user, event_id=event_id)
    status = request.GET.get("status", "")
    rounds = list(event.rounds.select_related("appeal_policy"))
    return render(
        request,
        "appeals/organiser_inbox.html",
        {
            "event": event,
            "appeals": selectors.event_appeals(event=event, status=status),
            "status": status,
            "statuses": Appeal.Status.choices,
            "rounds": [
                (rnd, PolicyForm(instance=getattr(rnd, "appeal_policy", None), prefix=f"r{rnd.pk}")) for rnd in rounds
            ],
        },
    )


@require_POST
@organiser_required
def organiser_policy(request, round_id: int):
    rnd = access_round_for_organiser(user=request.user, round_id=round_id)
    form = PolicyForm(request.POST, prefix=f"r{rnd.pk}")
    if form.is_valid():
        try:
            services.appeal_policy_set(
                rnd=rnd, days=form.cleaned_data["days"], max_per_round=form.cleaned_data["max_per_round"]
            )
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
        else:
            messages.success(request, _("Appeal window saved."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("organiser_appeals", event_id=rnd.event_id)


@organiser_required
def organiser_appeal(request, appeal_id: int):
    """One appeal for the organiser: the thread, a reply, the answer (accept with a resolution, or reject)."""
    appeal = selectors.access_appeal_for_organiser(user=request.user, appeal_id=appeal_id)
    choices = list(appeal.question.choices.all()) if appeal.question_id else []
    message_form = MessageForm(request.POST if "reply" in request.POST else None)
    answer_form = AnswerForm(request.POST if "answer" in request.POST else None, choices=choices)
    if "reply" in request.POST and message_form.is_valid():
        try:
            services.appeal_message_add(
                appeal=appeal, author=request.user, body=message_form.cleaned_data["body"], from_organiser=True
            )
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
        else:
            return redirect("organiser_appeal", appeal_id=appeal.pk)
    if "answer" in request.POST and answer_form.is_valid():
        data = answer_form.cleaned_data
        try:
            services.appeal_answer(
                appeal=appeal,
                by=request.user,
                accept=data["decision"] == "accept",
                reason=data["reason"],
                resolution=data["resolution"],
                points_change=data["points_change"],
                correct_ids=set(data.get("correct") or ()),
            )
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
        else:
            messages.success(request, _("Answer recorded."))
            return redirect("organiser_appeal", appeal_id=appeal.pk)
    return render(
        request,
        "appeals/organiser_appeal.html",
        _thread_context(appeal, form=message_form, answer_form=answer_form, key=[c for c in choices if c.is_correct]),
    )


@organiser_required
def organiser_export(request, event_id: int):
    """The appeal log of the event as a workbook (what participants typed is written as text)."""
    event = access_event_for_organiser(user=request.user, event_id=event_id)
    workbook = Workbook()
    exports.appeal_log(workbook.active, appeals=selectors.event_appeals(event=event))
    return downloads.workbook_attachment(workbook, filename=f"phuc-khao-{event.slug}.xlsx")
