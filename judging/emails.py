"""E-mails of judging: an invitation to an address with no account, a note to a person put on a panel, a
reminder of what is left to score. Sent by a background job (``tasks.judging_email_send``) after the
change commits, through Django's mail API (console backend by default, SMTP when ``EMAIL_HOST`` is set),
in the site's language.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import Assignment, JudgeInvitation, RoundJudge
from .selectors import JUDGEABLE

INVITATION, ADDED, REMINDER = "invitation", "added", "reminder"
KINDS = (INVITATION, ADDED, REMINDER)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send(template: str, context: dict, to: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"judging/email/{template}_subject.txt", context).split())
        body = render_to_string(f"judging/email/{template}_body.txt", context)
    EmailMessage(subject=subject, body=body, to=[to]).send()


def invitation_send(*, invitation_id: int) -> bool:
    """The invitation: sign up (or in) with this address, then open the link to join the panel."""
    invitation = (
        JudgeInvitation.objects.select_related("reading_round__round__event", "invited_by__profile")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        return False
    rnd = invitation.reading_round.round
    context = {
        "event": rnd.event,
        "rnd": rnd,
        "accept_url": _absolute(reverse("judging_invitation", kwargs={"token": invitation.token})),
        "signup_url": _absolute(reverse("account_signup")),
    }
    _send("judge_invitation", context, invitation.email)
    return True


def _queue_context(judge: RoundJudge) -> dict:
    rnd = judge.reading_round.round
    stage = judge.reading_round.judging_stage
    active = judge.assignments.filter(JUDGEABLE, stage=stage, state=Assignment.State.ACTIVE)
    return {
        "event": rnd.event,
        "rnd": rnd,
        "reading_round": judge.reading_round,
        "queue_url": _absolute(reverse("judging_queue", kwargs={"round_id": rnd.pk})),
        "assigned": active.count(),
        "remaining": active.exclude(score__submitted_at__isnull=False).count(),
    }


def _judge(judge_id: int) -> RoundJudge | None:
    return RoundJudge.objects.select_related("reading_round__round__event", "user").filter(pk=judge_id).first()


def added_send(*, judge_id: int) -> bool:
    """To a person with an account who was put on a panel: where their queue is."""
    judge = _judge(judge_id)
    if judge is None or not judge.user.email:
        return False
    _send("judge_added", _queue_context(judge), judge.user.email)
    return True


def reminder_send(*, judge_id: int) -> bool:
    """A reminder of the entries left to score (nothing is sent when none are left)."""
    judge = _judge(judge_id)
    if judge is None or not judge.user.email:
        return False
    context = _queue_context(judge)
    if not context["remaining"]:
        return False
    _send("judge_reminder", context, judge.user.email)
    return True


def send(kind: str, object_id: int) -> bool:
    if kind == INVITATION:
        return invitation_send(invitation_id=object_id)
    if kind == ADDED:
        return added_send(judge_id=object_id)
    if kind == REMINDER:
        return reminder_send(judge_id=object_id)
    raise ValueError(kind)
