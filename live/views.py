"""HTTP pages of live sessions: the organiser opens a session, the projector page, the phone's join page,
and the result exports. Everything in the game itself goes over the WebSocket (docs/live-protocol.md)."""

from __future__ import annotations

from functools import wraps

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from contest_site import downloads, ratelimit
from contests.invites import require_round
from contests.models import Event, Round
from contests.organiser_area import organiser_required
from contests.selectors import (
    access_round_for_organiser,
    organisations_hosting_live,
    organisations_organised_by,
)
from contests.xlsx import spreadsheet_safe
from leaderboard.services import ResultsFinal
from quizzes.models import Quiz

from . import payloads, rounds, services
from .models import LiveSession
from .selectors import access_session_for_host, hosting_refusal


class SessionForm(forms.ModelForm):
    class Meta:
        model = LiveSession
        fields = ["quiz", "round", "allow_guests", "scoring", "streak_bonus", "question_time_s"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        hosting = organisations_hosting_live(user)
        organising = organisations_organised_by(user)
        self.fields["quiz"].queryset = Quiz.objects.filter(organisation__in=hosting)
        # Teachers host live rounds of playgrounds only; contests' rounds stay with the organisers.
        self.fields["round"].queryset = Round.objects.filter(kind=Round.Kind.LIVE).filter(
            Q(event__organisation__in=organising)
            | Q(event__organisation__in=hosting, event__kind=Event.Kind.PLAYGROUND)
        )
        self.fields["round"].help_text = gettext_lazy("A live round of an event: final scores go to its leaderboard.")

    def clean(self):
        cleaned = super().clean()
        quiz, rnd = cleaned.get("quiz"), cleaned.get("round")
        if quiz and rnd and quiz.organisation_id != rnd.event.organisation_id:
            self.add_error("round", _("The quiz and the round must belong to the same organisation."))
        if quiz:
            refusal = hosting_refusal(quiz=quiz, user=self.user, now=timezone.now())
            if refusal:
                self.add_error("quiz", refusal)
        return cleaned


def host_required(view):
    """Signed-in organisers, or teachers named by an organisation; others get 404."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not organisations_hosting_live(request.user).exists():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@host_required
def session_create(request):
    initial = {"quiz": request.GET.get("quiz"), "round": request.GET.get("round")}
    form = SessionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        session = services.session_create(
            quiz=data["quiz"],
            host=request.user,
            rnd=data["round"],
            allow_guests=data["allow_guests"],
            scoring_mode=data["scoring"],
            streak_bonus=data["streak_bonus"],
            question_time_s=data["question_time_s"],
        )
        return redirect("live_host", session_id=session.pk)
    sessions = LiveSession.objects.filter(
        Q(host=request.user) | Q(quiz__organisation__in=organisations_organised_by(request.user))
    ).select_related("quiz")[:20]
    return render(request, "live/new.html", {"form": form, "sessions": sessions})


@organiser_required
def live_round_settings(request, round_id: int):
    """The organiser page of a live round: its sessions, and a button to host one."""
    rnd = access_round_for_organiser(user=request.user, round_id=round_id)
    return render(
        request,
        "live/round.html",
        {
            "rnd": rnd,
            "event": rnd.event,
            "sessions": rnd.live_sessions.select_related("quiz"),
            "choices": rnd.live_choices.select_related("session", "previous", "by").order_by("-at", "-pk")[:20],
            "create_url": f"{reverse('live_session_create')}?round={rnd.pk}",
        },
    )


@organiser_required
@require_POST
def live_round_choose(request, round_id: int):
    """The organiser makes one session of the live round the one that counts (logged; scores re-recorded)."""
    rnd = access_round_for_organiser(user=request.user, round_id=round_id)
    session = rnd.live_sessions.filter(pk=request.POST.get("session") or 0).first()
    if session is None:
        raise Http404
    try:
        rounds.live_round_choose(rnd=rnd, session=session, by=request.user)
    except ResultsFinal:
        messages.error(request, _("The round's results are published: its scores change only by a correction."))
    else:
        messages.success(request, _("Session %(pin)s now counts for the round.") % {"pin": session.pin})
    return redirect("organiser_live_round", round_id=rnd.pk)


def join_url(request, session: LiveSession) -> str:
    return request.build_absolute_uri(reverse("live_play", kwargs={"pin": session.pin}))


@host_required
def host_page(request, session_id: int):
    session = access_session_for_host(user=request.user, session_id=session_id)
    url = join_url(request, session)
    qr_svg = segno.make(url, error="m").svg_inline(scale=6, dark="#111", light="#fff")
    return render(request, "live/host.html", {"session": session, "join_url": url, "qr_svg": qr_svg})


def _too_many_pins(request):
    message = _("Too many wrong PINs were typed from this network. Wait %(minutes)s minutes, then try again.") % {
        "minutes": services.WRONG_PINS_PERIOD_S // 60
    }
    return ratelimit.too_many(request, message, back_url=reverse("live_play_start"))


def _running(pin: str) -> LiveSession | None:
    return LiveSession.objects.filter(pin=pin).exclude(state=LiveSession.State.ENDED).first()


def play_start(request):
    """``/play/``: type the PIN shown on the projector."""
    pin = "".join(ch for ch in request.GET.get("pin", "") if ch.isdigit())[:8]
    error = None
    if pin:
        ip = ratelimit.client_ip(request)
        if services.pin_guessing(ip):
            return _too_many_pins(request)
        if _running(pin) is not None:
            return redirect("live_play", pin=pin)
        services.wrong_pin(ip)
        error = _("No game is running with that PIN.")
    return render(request, "live/play_start.html", {"pin": pin, "error": error})


def play_page(request, pin: str):
    ip = ratelimit.client_ip(request)
    if services.pin_guessing(ip):
        return _too_many_pins(request)
    session = _running(pin)
    if session is None:
        services.wrong_pin(ip)
        messages.error(request, _("No game is running with that PIN."))
        return redirect("live_play_start")
    if session.round_id:
        require_round(request, session.round_id)
    needs_login = not session.allow_guests and not request.user.is_authenticated
    return render(request, "live/play.html", {"session": session, "needs_login": needs_login})


def _results(request, session_id: int):
    session = access_session_for_host(user=request.user, session_id=session_id)
    headers = [_("Rank"), _("Nickname"), _("Email"), _("Score"), _("Right answers")]
    # Every text cell escaped: nicknames are typed by players and e-mail addresses by account holders, and a
    # value starting with "=" would run as a formula on the organiser's machine (CSV/formula injection).
    rows = [
        [spreadsheet_safe(value) for value in (r["rank"], r["nickname"], r["email"], r["score"], r["right"])]
        for r in payloads.results_rows(session)
    ]
    return session, headers, rows


@host_required
def results_csv(request, session_id: int):
    session, headers, rows = _results(request, session_id)
    return downloads.csv_attachment(headers, rows, filename=f"live-{session.pin}.csv")


@host_required
def results_xlsx(request, session_id: int):
    session, headers, rows = _results(request, session_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Results")[:31]
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    return downloads.workbook_attachment(workbook, filename=f"live-{session.pin}.xlsx")


def live_round_page(request, round_id: int):
    """A participant's page of a live round: how to join, the running game's PIN, and past games."""
    require_round(request, round_id)
    rnd = (
        Round.objects.select_related("event")
        .filter(pk=round_id, kind=Round.Kind.LIVE)
        .exclude(event__state="draft")
        .first()
    )
    if rnd is None:
        raise Http404
    running = rnd.live_sessions.exclude(state=LiveSession.State.ENDED).order_by("-created_at").first()
    return render(request, "live/live_round.html", {"rnd": rnd, "event": rnd.event, "running": running})
