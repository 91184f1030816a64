"""Pages of a participant taking a quiz round: rules, attempt (with autosave), submit, result, board."""

from __future__ import annotations

import ipaddress

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contest_site.ratelimit import client_ip
from contest_site.serving import media_response
from contests.invites import require_open_event
from leaderboard import ranking
from leaderboard import selectors as boards

from .. import selectors, services
from ..attempt_page import attempt_page_parts
from ..autosave import answer_reply
from ..grading import InvalidResponse
from ..models import Attempt, AttemptItem


def quiz_round_page(request, round_id: int):
    now = timezone.now()
    quiz_round = selectors.access_quiz_round(round_id=round_id)  # the round and its event come with it
    require_open_event(request, quiz_round.round.event)
    attempts = selectors.my_attempts(quiz_round=quiz_round, user=request.user)
    for attempt in attempts:
        if attempt.status == Attempt.Status.ACTIVE:
            services.attempt_close_if_expired(attempt=attempt, now=now)
    problems = (
        services.attempt_start_problems(quiz_round=quiz_round, user=request.user, now=now, attempts=attempts)
        if request.user.is_authenticated
        else []
    )
    config = boards.board_config(rnd=quiz_round.round)  # read once: every participant opens this page at a rush
    return render(
        request,
        "quizzes/round.html",
        {
            "quiz_round": quiz_round,
            "rnd": quiz_round.round,
            "event": quiz_round.round.event,
            "now": now,
            "attempts": attempts,
            "active": next((a for a in attempts if a.status == Attempt.Status.ACTIVE), None),
            "problems": problems,
            "chain": ranking.describe(config.chain),
            # A prediction round's board opens at close: until then the number of full marks must stay secret.
            "board_public": boards.board_is_public(config=config, now=now),
        },
    )


@require_POST
@login_required
def attempt_start(request, round_id: int):
    quiz_round = selectors.access_quiz_round(round_id=round_id)
    require_open_event(request, quiz_round.round.event)
    try:
        attempt = services.attempt_start(quiz_round=quiz_round, user=request.user, client=_client_facts(request))
    except services.QuizError as exc:
        messages.error(request, str(exc))
        return redirect("quiz_round", round_id=round_id)
    return redirect("attempt_take", attempt_id=attempt.pk)


def _client_facts(request) -> dict:
    """Address and browser of the request, for the organisers' attempt report (insights). A proxy header
    that is not an address is dropped rather than refused: the participant must still be able to start."""
    try:
        address = str(ipaddress.ip_address(client_ip(request) or ""))
    except (ValueError, PermissionDenied):  # allauth refuses an address it cannot read
        address = None
    return {"ip_address": address, "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300]}


@login_required
def attempt_take(request, attempt_id: int):
    """The attempt page. A read only: an attempt past its deadline + grace is shown as closed (the result page,
    the close job and the sweep close it), and the questions come from ``attempt_page``'s cache."""
    now = timezone.now()
    attempt = selectors.access_attempt(user=request.user, attempt_id=attempt_id, related=("quiz_round__round",))
    if not services.attempt_is_open(attempt=attempt, now=now):
        return redirect("attempt_result", attempt_id=attempt.pk)
    return render(
        request,
        "quizzes/attempt.html",
        {
            "attempt": attempt,
            "quiz_round": attempt.quiz_round,
            "rnd": attempt.quiz_round.round,
            "parts": attempt_page_parts(attempt=attempt),
            "seconds_left": max(0, int((attempt.deadline - now).total_seconds())),
        },
    )


@require_POST
@login_required
def attempt_answer(request, attempt_id: int):
    """Autosave: ``{"position": 3, "response": …}`` → ``{"saved": true, "position": 3, "saved_at": "…"}``.

    The response names choices by the tokens the page shows (``"k3x…"``, a list of them for multiple choice
    and ordering), never by database id.

    Errors answer with a message in the user's language and change nothing.
    """
    status, reply = answer_reply(attempt_id=attempt_id, user=request.user, body=request.body)
    if status == 404:
        raise Http404
    return JsonResponse(reply, status=status)


@require_POST
@login_required
def attempt_submit(request, attempt_id: int):
    """The form posts every answer on the page (the plain form without JavaScript, and the final submit):
    they are saved, graded and the attempt closed in one service call (``services.attempt_submit``)."""
    prediction = request.POST.get("prediction", "").strip()
    try:
        attempt = services.attempt_submit(
            attempt_id=attempt_id,
            user=request.user,
            prediction=int(prediction) if prediction.isdigit() else None,
            responses=request.POST,
        )
    except Attempt.DoesNotExist:
        raise Http404 from None
    except InvalidResponse:
        messages.error(request, _("The prediction must be a whole number between 0 and 10,000,000."))
        return redirect("attempt_take", attempt_id=attempt_id)
    except services.LateSubmission as exc:
        messages.warning(request, str(exc))
        return redirect("attempt_result", attempt_id=attempt_id)
    for position in attempt.answers_refused:
        messages.warning(
            request,
            _("Question %(n)d: that answer does not fit the question and was not saved.") % {"n": position},
        )
    return redirect("attempt_result", attempt_id=attempt.pk)


@login_required
def attempt_result(request, attempt_id: int):
    now = timezone.now()
    attempt = selectors.access_attempt(user=request.user, attempt_id=attempt_id)
    if not services.attempt_close_if_expired(attempt=attempt, now=now):
        return redirect("attempt_take", attempt_id=attempt.pk)
    quiz_round = attempt.quiz_round
    review = services.review_allowed(attempt=attempt, now=now)
    config = boards.board_config(rnd=quiz_round.round)
    standing = boards.standing_of(config=config, user=request.user, now=now, with_names=False)
    return render(
        request,
        "quizzes/result.html",
        {
            "attempt": attempt,
            "quiz_round": quiz_round,
            "rnd": quiz_round.round,
            "review_allowed": review,
            "review": selectors.attempt_review(attempt=attempt) if review else None,
            "standing": standing,
            "board_public": boards.board_is_public(config=config, now=now),
        },
    )


def _signed_for(request, question) -> bool:
    """A live game hands players a signed image URL (guests have no account to check)."""
    from django.core import signing

    from ..image_links import IMAGE_SALT

    try:
        return signing.loads(request.GET.get("t", ""), salt=IMAGE_SALT, max_age=6 * 3600) == question.pk
    except signing.BadSignature:
        return False


def question_image(request, question_id: int):
    """A question's image, for whoever may see the question: organisers of its bank, anyone for a public
    bank (unless a contest round may still give the question: its image would hint at the key), and
    participants who were given it in an attempt."""
    from contests.selectors import organisations_organised_by

    from ..models import Question

    question = Question.objects.select_related("bank").filter(pk=question_id).exclude(image="").first()
    if question is None:
        raise Http404
    allowed = (
        (question.bank.is_public and not selectors.question_is_reserved(question=question))
        or _signed_for(request, question)
        or (
            request.user.is_authenticated
            and (
                organisations_organised_by(request.user).filter(pk=question.bank.organisation_id).exists()
                or AttemptItem.objects.filter(question=question, attempt__user=request.user).exists()
            )
        )
    )
    if not allowed:
        raise Http404
    return media_response(request, question.image)
