"""The judge's pages: their panels, a round's queue, scoring one entry, declaring a conflict, an invitation.

A judge reaches an entry only through an active assignment of theirs (``access_assignment_for_judge``);
anything else is 404, the same answer as for an id that does not exist. In a blind round nothing on these
pages names the author, their organisation or region (tested on the rendered HTML).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..forms import ScoreForm


@login_required
def judging_home(request):
    return render(request, "judging/judge/home.html", {"panels": selectors.judge_rounds(user=request.user)})


@login_required
def queue(request, round_id: int):
    judge = selectors.access_panel_for_judge(user=request.user, round_id=round_id)
    reading_round, now = judge.reading_round, timezone.now()
    items = selectors.judge_queue(judge=judge, stage=reading_round.judging_stage)
    for assignment in items:
        assignment.my_score = selectors.score_of(assignment)
    done = sum(1 for a in items if a.my_score and a.my_score.is_submitted)
    return render(
        request,
        "judging/judge/queue.html",
        {
            "judge": judge,
            "reading_round": reading_round,
            "rnd": reading_round.round,
            "event": reading_round.round.event,
            "items": items,
            "done": done,
            "next": selectors.next_assignment(judge=judge, stage=reading_round.judging_stage),
            "open": reading_round.judging_open(now),
            "started": reading_round.judging_started(now),
            "criteria": selectors.criteria(reading_round=reading_round),
        },
    )


def _score_form(request, assignment, criteria):
    score = selectors.score_of(assignment)
    initial = {f"c{key}": value for key, value in selectors.marks_of(score).items()}
    initial["comment"] = score.comment if score else ""
    return ScoreForm(request.POST or None, criteria=criteria, initial=initial), score


@login_required
def score(request, assignment_id: int):
    assignment = selectors.access_assignment_for_judge(user=request.user, assignment_id=assignment_id)
    reading_round, now = assignment.entry.reading_round, timezone.now()
    criteria = selectors.criteria(reading_round=reading_round)
    form, existing = _score_form(request, assignment, criteria)
    problems = services.scoring_problems(assignment=assignment, now=now)
    if request.method == "POST" and not problems and form.is_valid():
        try:
            services.score_save(
                assignment=assignment,
                marks=form.marks(),
                comment=form.cleaned_data["comment"],
                submit=form.submitting,
                now=now,
            )
        except services.JudgingError as exc:
            form.add_error(None, str(exc))
        else:
            return _after_save(request, assignment, submitted=form.submitting)
    closed = reading_round.judging_closed(now)
    return render(
        request,
        "judging/judge/score.html",
        {
            "assignment": assignment,
            "entry": assignment.entry,
            "reading_round": reading_round,
            "rnd": reading_round.round,
            "event": reading_round.round.event,
            "form": form,
            "score": existing,
            "problems": problems,
            "blind": reading_round.blind_judging,
            "open": reading_round.judging_open(now),
            "started": reading_round.judging_started(now),
            "next": selectors.next_assignment(judge=assignment.judge, stage=assignment.stage, after=assignment),
            "panel": selectors.panel_after_close(assignment=assignment) if closed else None,
            "max_total": sum((c.weight * c.max_points for c in criteria), 0),
        },
        status=400 if request.method == "POST" else 200,
    )


def _after_save(request, assignment, *, submitted: bool):
    if not submitted:
        messages.success(request, _("Draft saved."))
        return redirect("judging_score", assignment_id=assignment.pk)
    messages.success(request, _("Score submitted."))
    following = selectors.next_assignment(judge=assignment.judge, stage=assignment.stage, after=assignment)
    if following is None:
        return redirect("judging_queue", round_id=assignment.judge.reading_round.round_id)
    return redirect("judging_score", assignment_id=following.pk)


@require_POST
@login_required
def declare_conflict(request, assignment_id: int):
    assignment = selectors.access_assignment_for_judge(user=request.user, assignment_id=assignment_id)
    try:
        services.conflict_declare(assignment=assignment)
    except services.JudgingError as exc:
        messages.error(request, str(exc))
        return redirect("judging_score", assignment_id=assignment.pk)
    messages.success(request, _("Thank you: this entry goes to another judge, and the author's other entries too."))
    return redirect("judging_queue", round_id=assignment.judge.reading_round.round_id)


@login_required
def invitation(request, token: str):
    """GET: what the invitation is for; POST: accept it (signed in with the invited, verified address)."""
    invitation = selectors.invitation_by_token(token=token)
    if request.method == "POST":
        try:
            judge = services.invitation_accept(token=token, user=request.user)
        except services.JudgingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Welcome to the panel."))
            return redirect("judging_queue", round_id=judge.reading_round.round_id)
    return render(request, "judging/judge/invitation.html", {"invitation": invitation})
