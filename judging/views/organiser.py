"""Organiser pages of judging: settings and actions, rubric, panel and invitations, progress board, one
entry's scores and how its final score was computed, manual reassignment.

Every view fetches its object through an ``access_*`` selector scoped to the user's organisations, which
answers 404 both for what does not exist and for what belongs to another organisation.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from contests.organiser_area import form_errors_to_messages, organiser_required
from submissions import selectors as entry_selectors

from .. import selectors, services
from ..forms import (
    AddJudgeForm,
    InviteForm,
    JudgeForm,
    JudgingSettingsForm,
    RubricFormSet,
    rubric_initial,
)
from ..models import JudgeInvitation, RoundJudge


def _confirmed(request) -> bool:
    """Irreversible actions (close a stage, finalise) need the box "I understand" ticked."""
    if request.POST.get("confirm"):
        return True
    messages.error(request, _("Tick the box to confirm: this cannot be undone."))
    return False


def _posted_id(request, name: str) -> int | None:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


def _round_context(reading_round, **extra) -> dict:
    return {"reading_round": reading_round, "rnd": reading_round.round, "event": reading_round.round.event, **extra}


def _refusal(request, exc) -> None:
    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))


@organiser_required
def judging_settings(request, round_id: int):
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    form = JudgingSettingsForm(request.POST or None, instance=reading_round)
    if request.method == "POST" and form.is_valid():
        try:
            services.judging_configure(reading_round=reading_round, settings=form.settings())
        except ValidationError as exc:
            form_errors_to_messages(request, exc, form)
        except services.JudgingError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Judging settings saved."))
            return redirect("organiser_judging", round_id=round_id)
        reading_round.refresh_from_db()
    criteria = selectors.criteria(reading_round=reading_round)
    return render(
        request,
        "judging/organiser/judging.html",
        _round_context(
            reading_round,
            form=form,
            criteria=criteria,
            judges=selectors.judges_progress(reading_round=reading_round),
            finalise_problems=services.finalise_problems(reading_round=reading_round),
            now=timezone.now(),
        ),
    )


@organiser_required
def rubric(request, round_id: int):
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    criteria = selectors.criteria(reading_round=reading_round)
    formset = RubricFormSet(request.POST or None, initial=rubric_initial(criteria))
    locked = selectors.rubric_locked(reading_round=reading_round)
    if request.method == "POST" and formset.is_valid():
        try:
            services.rubric_save(reading_round=reading_round, items=formset.items())
        except (services.JudgingError, ValidationError) as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Rubric saved."))
            return redirect("organiser_judging_rubric", round_id=round_id)
    max_total = sum((c.weight * c.max_points for c in criteria), 0)
    return render(
        request,
        "judging/organiser/rubric.html",
        _round_context(reading_round, formset=formset, locked=locked, criteria=criteria, max_total=max_total),
    )


@organiser_required
def judges(request, round_id: int):
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    form = InviteForm(request.POST or None, reading_round=reading_round)
    if request.method == "POST" and form.is_valid():
        _invite_all(request, reading_round, form.cleaned_data["emails"], form.cleaned_data["stages"])
        return redirect("organiser_judging_judges", round_id=round_id)
    return render(
        request,
        "judging/organiser/judges.html",
        _round_context(
            reading_round,
            form=form,
            judges=selectors.judges_progress(reading_round=reading_round),
            invitations=selectors.invitations_pending(reading_round=reading_round),
        ),
    )


def _invite_all(request, reading_round, addresses: list[str], stages: str) -> None:
    seated = invited = 0
    for address in addresses:
        try:
            result = services.judge_invite(reading_round=reading_round, email=address, stages=stages, by=request.user)
        except services.JudgingError as exc:
            messages.error(request, f"{address}: {exc}")
            continue
        if isinstance(result, RoundJudge):
            seated += 1
        else:
            invited += 1
    if seated:
        messages.success(
            request,
            ngettext("%(n)d judge added to the panel.", "%(n)d judges added to the panel.", seated) % {"n": seated},
        )
    if invited:
        messages.success(
            request, ngettext("%(n)d invitation sent.", "%(n)d invitations sent.", invited) % {"n": invited}
        )


@organiser_required
def judge_edit(request, judge_id: int):
    judge = selectors.access_judge_for_organiser(user=request.user, judge_id=judge_id)
    form = JudgeForm(request.POST or None, judge=judge)
    if request.method == "POST" and form.is_valid():
        try:
            services.judge_update(
                judge=judge,
                stages=form.cleaned_data["stages"],
                organisations=form.cleaned_data["organisations"],
                emails_text=form.cleaned_data["emails"],
            )
        except (services.JudgingError, ValidationError) as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Judge saved. Entries that now conflict went to other judges."))
            return redirect("organiser_judging_judges", round_id=judge.reading_round.round_id)
    return render(request, "judging/organiser/judge.html", _round_context(judge.reading_round, judge=judge, form=form))


@require_POST
@organiser_required
def judge_remove(request, judge_id: int):
    judge = selectors.access_judge_for_organiser(user=request.user, judge_id=judge_id)
    round_id = judge.reading_round.round_id
    try:
        services.judge_remove(judge=judge)
    except services.JudgingError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("The judge has left the panel; their entries went to other judges."))
    return redirect("organiser_judging_judges", round_id=round_id)


@require_POST
@organiser_required
def invitation_withdraw(request, round_id: int, invitation_id: int):
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    invitation = JudgeInvitation.objects.filter(pk=invitation_id, reading_round=reading_round).first()
    if invitation is None:
        raise Http404
    services.invitation_withdraw(invitation=invitation)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("organiser_judging_judges", round_id=round_id)


@require_POST
@organiser_required
def assign(request, round_id: int):
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    try:
        plan = services.assignments_fill(reading_round=reading_round, by=request.user)
    except services.JudgingError as exc:
        _refusal(request, exc)
    else:
        count = len(plan.pairs)
        messages.success(request, ngettext("%(n)d assignment made.", "%(n)d assignments made.", count) % {"n": count})
        if plan.short:
            short = len(plan.short)
            messages.warning(
                request,
                ngettext(
                    "%(n)d entry could not get enough judges without a conflict: invite more judges.",
                    "%(n)d entries could not get enough judges without a conflict: invite more judges.",
                    short,
                )
                % {"n": short},
            )
    return redirect("organiser_judging_progress", round_id=round_id)


@require_POST
@organiser_required
def shortlist_close(request, round_id: int):
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    if not _confirmed(request):
        return redirect("organiser_judging_progress", round_id=round_id)
    try:
        finalists = services.shortlist_close(reading_round=reading_round, by=request.user)
    except services.JudgingError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("%(n)d entries go to the final stage.") % {"n": len(finalists)})
    return redirect("organiser_judging_progress", round_id=round_id)


@require_POST
@organiser_required
def finalise(request, round_id: int):
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    if not _confirmed(request):
        return redirect("organiser_judging_progress", round_id=round_id)
    try:
        recorded = services.judging_finalise(reading_round=reading_round, by=request.user)
    except services.JudgingError as exc:
        _refusal(request, exc)
    else:
        messages.success(
            request, _("Judging finalised: %(n)d final scores are on the leaderboard.") % {"n": len(recorded)}
        )
    return redirect("organiser_judging_progress", round_id=round_id)


@require_POST
@organiser_required
def remind(request, round_id: int):
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    judge = None
    if request.POST.get("judge"):
        judge = RoundJudge.objects.filter(pk=_posted_id(request, "judge"), reading_round=reading_round).first()
        if judge is None:
            raise Http404
    try:
        sent = services.reminders_send(reading_round=reading_round, judge=judge)
    except services.JudgingError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, ngettext("%(n)d reminder sent.", "%(n)d reminders sent.", sent) % {"n": sent})
    return redirect("organiser_judging_progress", round_id=round_id)


@organiser_required
def progress(request, round_id: int):
    reading_round = selectors.access_reading_round_for_organiser(user=request.user, round_id=round_id)
    results = selectors.round_results(reading_round=reading_round)
    entries = selectors.entries_progress(reading_round=reading_round, results=results)
    return render(
        request,
        "judging/organiser/progress.html",
        _round_context(
            reading_round,
            judges=selectors.judges_progress(reading_round=reading_round),
            entries=entries,
            results=results,
            disputed=sum(1 for e in entries if e.disputed),
            unscored=sum(1 for e in entries if not e.received),
            finalise_problems=services.finalise_problems(reading_round=reading_round),
        ),
    )


@organiser_required
def entry_scores(request, entry_id: int):
    entry = entry_selectors.access_entry_for_organiser(user=request.user, entry_id=entry_id)
    reading_round = entry.reading_round
    results = selectors.round_results(reading_round=reading_round)
    assignments = selectors.entry_assignments(entry=entry)
    facts = selectors.judge_facts(reading_round=reading_round, stage=reading_round.judging_stage)
    eligible = selectors.eligible_judges_for(entry=entry, facts=facts, authors=selectors.author_facts([entry]))
    counted = results.points.get(entry.user_id)
    return render(
        request,
        "judging/organiser/entry_scores.html",
        _round_context(
            reading_round,
            entry=entry,
            assignments=assignments,
            criteria=selectors.criteria(reading_round=reading_round),
            breakdowns=selectors.entry_breakdown(entry=entry, results=results, assignments=assignments),
            outcome=results.outcomes.get(entry.pk),
            counted_entry_id=counted[0] if counted else None,
            results=results,
            add_form=AddJudgeForm(judges=RoundJudge.objects.filter(pk__in=eligible).select_related("user__profile")),
        ),
    )


@require_POST
@organiser_required
def assignment_add(request, entry_id: int):
    """Manual reassignment: a chosen judge, or (``extra``) the least loaded judge without a conflict."""
    entry = entry_selectors.access_entry_for_organiser(user=request.user, entry_id=entry_id)
    try:
        if request.POST.get("extra"):
            services.extra_judge_add(entry=entry, by=request.user)
        else:
            judge = RoundJudge.objects.filter(
                pk=_posted_id(request, "judge"), reading_round=entry.reading_round
            ).first()
            if judge is None:
                raise services.JudgingError(_("Choose a judge of this round."))
            services.assignment_add(entry=entry, judge=judge, by=request.user)
    except services.JudgingError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("The entry has one more judge."))
    if request.POST.get("back") == "progress":
        return redirect("organiser_judging_progress", round_id=entry.reading_round.round_id)
    return redirect("organiser_judging_entry", entry_id=entry.pk)


@require_POST
@organiser_required
def assignment_withdraw(request, assignment_id: int):
    assignment = selectors.access_assignment_for_organiser(user=request.user, assignment_id=assignment_id)
    try:
        services.assignment_withdraw(assignment=assignment)
    except services.JudgingError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("The entry was taken back from this judge."))
    return redirect("organiser_judging_entry", entry_id=assignment.entry_id)
