"""Every write of the appeals app: the round's appeal window, asking, the thread, the organiser's answer.

An accepted appeal never writes a score or a result row itself: each change of a participant's round points
goes through ``leaderboard.results.result_correct`` on every published result set that includes the round
(the round's own weekly results and the event's totals, weighted), so the public correction log says who,
when, what and why, ranks and prizes are re-awarded and certificates reissued.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contest_site import ratelimit
from contests.models import Round
from leaderboard.results import result_correct
from notifications import hooks as notification_hooks
from quizzes.models import Attempt, AttemptItem
from quizzes.rekey import question_key_correct

from . import selectors
from .models import Appeal, AppealMessage, AppealPolicy

MAX_MESSAGE = 4000
MESSAGES_PER_HOUR = 20  # per participant: a thread is a conversation, not a chat


class AppealLimited(ValidationError, ratelimit.RateLimited):
    """Too many messages in the hour."""


def appeal_policy_set(*, rnd: Round, days: int, max_per_round: int) -> AppealPolicy:
    """Set the round's appeal window (0 days = no appeals) and the number of appeals per participant."""
    policy = AppealPolicy.objects.filter(round=rnd).first() or AppealPolicy(round=rnd)
    policy.days, policy.max_per_round = days, max_per_round
    policy.full_clean()
    policy.save()
    return policy


def appeal_problems(*, rnd: Round, user: Any, now: dt.datetime) -> list[str]:
    """Why ``user`` cannot appeal in ``rnd`` now (empty: they can). The window is counted from the first
    publication that includes the round; only participants with a published result may appeal."""
    window = selectors.appeal_window(rnd=rnd)
    if window is None:
        return [_("This round takes no appeals, or its results are not published yet.")]
    if now > window.closes_at:
        return [_("The appeal window of this round closed at %(when)s.") % {"when": _local(window.closes_at)}]
    if not selectors.published_rows(rnd=rnd).filter(user=user).exists():
        return [_("Only participants with a published result may appeal.")]
    if Appeal.objects.filter(round=rnd, user=user).count() >= window.policy.max_per_round:
        return [
            _("You have used your %(n)d appeals for this round.") % {"n": window.policy.max_per_round},
        ]
    return []


def _local(moment: dt.datetime) -> str:
    from django.utils import formats

    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


@transaction.atomic
def appeal_create(
    *, rnd: Round, user: Any, kind: str, text: str, item: AttemptItem | None = None, now: dt.datetime | None = None
) -> Appeal:
    """Open an appeal about one question of the participant's own submitted attempt, or about their score.

    Refused outside the window, beyond the round's number of appeals per participant, and while the same
    question (or, for a score appeal, the score) already has an open appeal of theirs."""
    now = now or timezone.now()
    Round.objects.select_for_update().filter(pk=rnd.pk).first()  # two tabs at once: the count holds
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Say what you ask to be reviewed, and why."))
    if len(text) > MAX_MESSAGE:
        raise ValidationError(_("Keep the message under %(n)d characters.") % {"n": MAX_MESSAGE})
    if kind not in Appeal.Kind.values:
        raise ValidationError(_("Choose what the appeal is about."))
    problems = appeal_problems(rnd=rnd, user=user, now=now)
    if problems:
        raise ValidationError(problems)
    question = None
    if kind == Appeal.Kind.QUESTION:
        item = _own_item(rnd=rnd, user=user, item=item)
        question = item.question
    else:
        item = None
    duplicate = Appeal.objects.filter(round=rnd, user=user, kind=kind, status=Appeal.Status.OPEN)
    if question is not None:
        duplicate = duplicate.filter(question=question)
    if duplicate.exists():
        raise ValidationError(_("You already have an open appeal about this; add a message to it instead."))
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                round=rnd, user=user, kind=kind, item=item, question=question, created_at=now
            )
    except IntegrityError as exc:  # the same request twice at once: the constraint decides
        raise ValidationError(_("You already have an open appeal about this; add a message to it instead.")) from exc
    AppealMessage.objects.create(appeal=appeal, author=user, from_organiser=False, body=text, at=now)
    return appeal


def _own_item(*, rnd: Round, user: Any, item: AttemptItem | None) -> AttemptItem:
    """The item, if it belongs to one of the participant's submitted attempts of this round."""
    if item is None:
        raise ValidationError(_("Choose the question you ask to be reviewed."))
    own = (
        AttemptItem.objects.select_related("question")
        .filter(
            pk=item.pk,
            attempt__user=user,
            attempt__quiz_round__round=rnd,
            attempt__status=Attempt.Status.SUBMITTED,
        )
        .first()
    )
    if own is None:
        raise ValidationError(_("Choose the question you ask to be reviewed."))
    return own


def appeal_message_add(
    *, appeal: Appeal, author: Any, body: str, from_organiser: bool, now: dt.datetime | None = None
) -> AppealMessage:
    """Add a message to an open appeal's thread (the appellant or one of the event's organisers: the caller
    checked which through ``selectors.access_appeal_*``)."""
    now = now or timezone.now()
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write a message."))
    if len(body) > MAX_MESSAGE:
        raise ValidationError(_("Keep the message under %(n)d characters.") % {"n": MAX_MESSAGE})
    if appeal.status != Appeal.Status.OPEN:
        raise ValidationError(_("This appeal has been answered; its thread is closed."))
    if not from_organiser and not ratelimit.hit(
        f"appeal-msg:{author.pk}", limit=MESSAGES_PER_HOUR, period_s=3600, now=now
    ):
        raise AppealLimited(_("Too many messages in an hour. Please wait before writing again."))
    return AppealMessage.objects.create(appeal=appeal, author=author, from_organiser=from_organiser, body=body, at=now)


@transaction.atomic
def appeal_answer(
    *,
    appeal: Appeal,
    by: Any,
    accept: bool,
    reason: str,
    resolution: str = "",
    points_change: Decimal | None = None,
    correct_ids: set[int] | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """Answer an open appeal with a reason. Caller checked that ``by`` organises the appeal's event.

    Accepting applies one resolution, each through the audited correction of the published results:
    - ``award`` (a question appeal): the appellant gets the points the question was worth that they missed;
    - ``rekey`` (a question appeal): the question's key is corrected and every attempt of the round is
      regraded, so everyone whose points change gets a correction (not only the appellant);
    - ``points`` (any appeal): the appellant's round points change by ``points_change``.
    Rejecting changes nothing but the appeal. Either way the answer joins the thread."""
    now = now or timezone.now()
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("round__event", "item__question")
        .get(pk=appeal.pk)
    )
    if appeal.status != Appeal.Status.OPEN:
        raise ValidationError(_("This appeal has already been answered."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for your answer."))
    delta = None
    if accept:
        why = _("appeal #%(n)d accepted: %(reason)s") % {"n": appeal.pk, "reason": reason}
        delta, resolution = _apply(appeal, resolution, points_change, correct_ids, why=why, by=by, now=now)
    appeal.status = Appeal.Status.ACCEPTED if accept else Appeal.Status.REJECTED
    appeal.answer, appeal.answered_by, appeal.answered_at = reason, by, now
    appeal.resolution = resolution if accept else ""
    appeal.points_change = delta
    appeal.save(update_fields=["status", "answer", "answered_by", "answered_at", "resolution", "points_change"])
    AppealMessage.objects.create(appeal=appeal, author=by, from_organiser=True, body=reason, at=now)
    notification_hooks.appeal_answered(appeal=appeal)  # in the answer's transaction: rolled back with it
    return appeal


def _apply(
    appeal: Appeal,
    resolution: str,
    points_change: Decimal | None,
    correct_ids: set[int] | None,
    *,
    why: str,
    by: Any,
    now: dt.datetime,
) -> tuple[Decimal, str]:
    rnd = appeal.round
    if resolution == Appeal.Resolution.AWARD and appeal.kind == Appeal.Kind.QUESTION:
        item = cast(AttemptItem, appeal.item)  # a question appeal names its item
        missing = item.question.points - (item.points or Decimal(0))
        if missing <= 0:
            raise ValidationError(_("The appellant already has every point of this question."))
        _change_appellant(appeal, missing, why=why, by=by, now=now)
        return missing, resolution
    if resolution == Appeal.Resolution.REKEY and appeal.kind == Appeal.Kind.QUESTION:
        changes = question_key_correct(
            question=cast(AttemptItem, appeal.item).question, rnd=rnd, correct_ids=set(correct_ids or ())
        )
        for user_id, delta in changes.items():
            round_points_change(rnd=rnd, user_id=user_id, delta=delta, reason=why, by=by, now=now)
        return changes.get(appeal.user_id, Decimal(0)), resolution
    if resolution == Appeal.Resolution.POINTS:
        if not points_change:
            raise ValidationError(_("Give the change of points (e.g. 1 or -0.5)."))
        _change_appellant(appeal, points_change, why=why, by=by, now=now)
        return points_change, resolution
    raise ValidationError(_("Choose how the accepted appeal changes the result."))


def _change_appellant(appeal: Appeal, delta: Decimal, *, why: str, by: Any, now: dt.datetime) -> None:
    if not round_points_change(rnd=appeal.round, user_id=appeal.user_id, delta=delta, reason=why, by=by, now=now):
        raise ValidationError(_("This participant has no published result in this round."))


def round_points_change(*, rnd: Round, user_id: int, delta: Decimal, reason: str, by: Any, now: dt.datetime) -> bool:
    """Add ``delta`` to a participant's points in ``rnd`` on every published result that includes the round:
    the round's own results (its total is the round's points) and the event's (its total weighs the round).
    Each is an audited ``result_correct``. Returns False when the participant has no published row."""
    rows = selectors.published_rows(rnd=rnd).filter(user_id=user_id).select_related("result_set")
    changed = False
    for row in rows:
        weight = Decimal(1) if row.result_set.round_id else rnd.weight
        new_total = (row.total + delta * weight).quantize(Decimal("0.01"))
        if new_total < 0:
            raise ValidationError(_("A total cannot become negative."))
        result_correct(row=row, total=new_total, reason=reason, by=by, now=now)
        changed = True
    return changed
