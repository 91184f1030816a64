"""Results: the organiser reviews and publishes, corrects with a reason, issues certificates; the public reads
the published results and their corrections, and anyone verifies a certificate by its code."""

from __future__ import annotations

import io
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from contests.organiser_area import form_errors_to_messages, organiser_required
from contests.selectors import (
    access_event_for_organiser,
    access_event_for_visitor,
    access_round_for_organiser,
    events_managed_by,
)

from .. import results, selectors, standings, units
from ..certificates import render_pdf
from ..forms import CorrectionForm, PrizesForm, UnitRulesForm
from ..models import Certificate, Correction, ResultRow, ResultSet

TIES = _lazy("Ties: only participants equal on every criterion of the ranking chain share a rank and a prize.")


def _verify_url(request, code: str) -> str:
    return request.build_absolute_uri(reverse("certificate_verify", kwargs={"code": code}))


@organiser_required
def organiser_results(request, event_id: int):
    event = access_event_for_organiser(user=request.user, event_id=event_id)
    result_set = ResultSet.objects.filter(event=event).first()
    if result_set is None:
        if request.method == "POST" and "unit_rules" in request.POST:
            return _save_unit_rules(request, event)
        form = PrizesForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                results.results_publish(
                    event=event,
                    by=request.user,
                    prizes=form.prizes(),
                    split_by=form.cleaned_data["split_by"],
                    section_prizes=form.section_prizes(),
                )
            except ValidationError as exc:
                form_errors_to_messages(request, exc)
            else:
                messages.success(request, _("Results published."))
                return redirect("organiser_results", event_id=event.pk)
        valid = form.is_bound and form.is_valid()
        prizes = form.prizes() if valid else results.DEFAULT_PRIZES
        preview = results.results_preview(
            event=event,
            prizes=prizes,
            split_by=form.cleaned_data["split_by"] if valid else "",
            section_prizes=form.section_prizes() if valid and form.cleaned_data["split_by"] else None,
        )
        return render(
            request,
            "leaderboard/organiser_results.html",
            {
                "event": event,
                "form": form,
                "preview": preview[:500],
                "count": len(preview),
                "rules_form": _rules_form(event),
                "unit_prizes": units.unit_prizes(event=event),
                "rounds": event.rounds.all(),
                **_chain_context(standings.EVENT_CHAIN),
            },
        )
    return _published_page(request, event=event, result_set=result_set)


def _chain_context(chain) -> dict:
    return {"chain": standings.describe(chain), "ties": TIES}


def _published_page(request, *, event, result_set, rnd=None):
    rows = result_set.rows.select_related("user")
    return render(
        request,
        "leaderboard/organiser_results.html",
        {
            "event": event,
            "rnd": rnd,
            "result_set": result_set,
            "rows": rows[:500],
            "count": rows.count(),
            "correction_form": CorrectionForm(),
            "certificates": Certificate.objects.filter(row__result_set=result_set, revoked=False).count(),
            **_chain_context(result_set.chain),
        },
    )


@organiser_required
def organiser_round_results(request, round_id: int):
    """A round's results (weekly prizes): preview by the round's chain, publish once its scores are final."""
    rnd = access_round_for_organiser(user=request.user, round_id=round_id)
    result_set = ResultSet.objects.filter(round=rnd).first()
    if result_set is not None:
        return _published_page(request, event=rnd.event, result_set=result_set, rnd=rnd)
    form = PrizesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            results.round_results_publish(
                rnd=rnd,
                by=request.user,
                prizes=form.prizes(),
                split_by=form.cleaned_data["split_by"],
                section_prizes=form.section_prizes(),
            )
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
        else:
            messages.success(request, _("Results published."))
            return redirect("organiser_round_results", round_id=rnd.pk)
    valid = form.is_bound and form.is_valid()
    preview = results.round_results_preview(
        rnd=rnd,
        prizes=form.prizes() if valid else results.DEFAULT_PRIZES,
        split_by=form.cleaned_data["split_by"] if valid else "",
        section_prizes=form.section_prizes() if valid and form.cleaned_data["split_by"] else None,
    )
    return render(
        request,
        "leaderboard/organiser_results.html",
        {
            "event": rnd.event,
            "rnd": rnd,
            "form": form,
            "preview": preview[:500],
            "count": len(preview),
            **_chain_context(selectors.board_config(rnd=rnd).chain),
        },
    )


def _rules_form(event) -> UnitRulesForm:
    table, per_group = units.rules_of(event)
    (small_limit, small_rate), (medium_limit, medium_rate), (_none, large_rate) = (list(table) + [(None, 0)] * 3)[:3]
    return UnitRulesForm(
        initial={
            "small_limit": small_limit,
            "small_rate": round(float(small_rate) * 100),
            "medium_limit": medium_limit,
            "medium_rate": round(float(medium_rate) * 100),
            "large_rate": round(float(large_rate) * 100),
            "prizes_per_group": per_group,
        }
    )


def _save_unit_rules(request, event):
    form = UnitRulesForm(request.POST)
    if form.is_valid():
        try:
            results.unit_rules_set(
                event=event, min_rates=form.min_rates(), prizes_per_group=form.cleaned_data["prizes_per_group"]
            )
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
        else:
            messages.success(request, _("Unit rules saved."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("organiser_results", event_id=event.pk)


@require_POST
@organiser_required
def result_correct(request, event_id: int):
    event = access_event_for_organiser(user=request.user, event_id=event_id)
    form = CorrectionForm(request.POST)
    row = (
        ResultRow.objects.filter(Q(result_set__event=event) | Q(result_set__round__event=event))
        .filter(pk=request.POST.get("row") or 0)
        .first()
    )
    if row is None or not form.is_valid():
        messages.error(request, _("Give the row, the new value and the reason."))
        return redirect("organiser_results", event_id=event.pk)
    back = redirect("organiser_round_results", round_id=row.result_set.round_id) if row.result_set.round_id else None
    try:
        results.result_correct(
            row=row,
            total=form.cleaned_data["total"],
            prize=form.cleaned_data["prize"] or None,
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except ValidationError as exc:
        form_errors_to_messages(request, exc)
    else:
        messages.success(request, _("Correction recorded."))
    return back or redirect("organiser_results", event_id=event.pk)


@require_POST
@organiser_required
def certificates_issue(request, event_id: int):
    event = access_event_for_organiser(user=request.user, event_id=event_id)
    sets = ResultSet.objects.filter(Q(event=event) | Q(round__event=event))
    wanted = request.POST.get("result_set")
    result_set = sets.filter(pk=wanted).first() if wanted else sets.filter(event=event).first()
    if result_set is None:
        raise Http404
    issued = results.certificates_issue(result_set=result_set, participation=bool(request.POST.get("participation")))
    messages.success(request, _("%(n)d certificates issued.") % {"n": issued})
    if result_set.round_id:
        return redirect("organiser_round_results", round_id=result_set.round_id)
    return redirect("organiser_results", event_id=event.pk)


@organiser_required
def certificates_zip(request, event_id: int):
    event = access_event_for_organiser(user=request.user, event_id=event_id)
    certificates = Certificate.objects.filter(
        Q(row__result_set__event=event) | Q(row__result_set__round__event=event), revoked=False
    ).select_related("row__result_set__event__organisation", "row__result_set__round__event__organisation")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in certificates:
            archive.writestr(
                f"{certificate.row.rank:05d}-{certificate.code}.pdf",
                render_pdf(certificate, verify_url=_verify_url(request, certificate.code)),
            )
    response = HttpResponse(out.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="certificates-{event.slug}.zip"'
    return response


@login_required
def certificate_pdf(request, code: str):
    """The certificate's owner, or an organiser of its event, downloads the PDF."""
    certificate = (
        Certificate.objects.select_related(
            "row__result_set__event__organisation", "row__result_set__round__event__organisation"
        )
        .filter(code=code, revoked=False)
        .first()
    )
    if certificate is None:
        raise Http404
    event = certificate.row.result_set.owner_event
    if certificate.row.user_id != request.user.pk and not events_managed_by(request.user).filter(pk=event.pk).exists():
        raise Http404
    response = HttpResponse(
        render_pdf(certificate, verify_url=_verify_url(request, code)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="certificate-{code}.pdf"'
    return response


def certificate_verify(request, code: str):
    certificate = (
        Certificate.objects.select_related(
            "row__result_set__event__organisation", "row__result_set__round__event__organisation", "replaced_by"
        )
        .filter(code=code.upper())
        .first()
    )
    return render(
        request,
        "leaderboard/verify.html",
        {"certificate": certificate, "code": code},
        status=200 if certificate else 404,
    )


def public_results(request, slug: str):
    event, unlocked = access_event_for_visitor(
        user=request.user, slug=slug, invite_codes=set(request.session.get("event_invite_codes", []))
    )
    sets = list(
        ResultSet.objects.filter(Q(event=event) | Q(round__event=event))
        .select_related("round")
        .order_by(F("round__position").asc(nulls_first=True), "pk")
    )
    if not unlocked or not sets:
        raise Http404
    user = request.user if request.user.is_authenticated else None
    return render(
        request,
        "leaderboard/results.html",
        {
            "event": event,
            "result_sets": [_public_set(result_set, user) for result_set in sets],
            "corrections": Correction.objects.filter(result_set__in=sets).select_related("row__result_set__round"),
            "ties": TIES,
        },
    )


def _public_set(result_set: ResultSet, user) -> dict:
    mine = result_set.rows.filter(user=user).first() if user else None
    return {
        "set": result_set,
        "title": result_set.round.title if result_set.round_id else _("Event total"),
        "rows": result_set.rows.all()[:1000],
        "chain": standings.describe(result_set.chain),
        "mine": mine,
        "my_certificates": Certificate.objects.filter(row=mine, revoked=False) if mine else [],
    }
