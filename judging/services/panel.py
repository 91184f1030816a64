"""The panel: who may judge, invitations and their acceptance, changing a judge's stages, removing a judge."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contests.models import Membership
from contests.selectors import navigation_flag_forget
from contests.services import membership_add
from leaderboard.selectors import took_part_in_event
from submissions.models import Entry, ReadingRound

from .. import emails
from ..models import JudgeInvitation, JudgeScore, RoundJudge, Stages
from .assignments import _fill, _release_conflicts
from .common import JudgingError, _email_later, _lock, _not_finalised

if TYPE_CHECKING:
    from collections.abc import Iterable

    from contests.models import Organisation


def _user_by_email(email: str) -> Any:
    User = get_user_model()
    address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
    if address is not None:
        return address.user
    return User.objects.filter(email__iexact=email).first()


def panel_problems(*, reading_round: ReadingRound, user: Any) -> list[str]:
    """Why ``user`` cannot judge this round: whoever enters an event cannot judge it (and the reverse is
    enforced at entry: members of the organising organisation cannot enter)."""
    event = reading_round.round.event
    if Entry.objects.filter(reading_round__round__event=event, user_id=user.pk).exists():
        return [_("This person has sent an entry to this event: they cannot judge it.")]
    if took_part_in_event(event=event, user=user):
        return [_("This person has taken part in this event: they cannot judge it.")]
    return []


def _seat(*, reading_round: ReadingRound, user: Any, stages: str, by: Any, now: dt.datetime) -> tuple[RoundJudge, bool]:
    problems = panel_problems(reading_round=reading_round, user=user)
    if problems:
        raise JudgingError(" ".join(problems))
    membership_add(user=user, organisation=reading_round.round.event.organisation, role=Membership.Role.JUDGE)
    judge, created = RoundJudge.objects.get_or_create(
        reading_round=reading_round, user=user, defaults={"stages": stages, "invited_by": by, "created_at": now}
    )
    navigation_flag_forget("judge", user.pk)
    if not created and judge.stages != stages:
        judge.stages = Stages.BOTH
        judge.save(update_fields=["stages"])
    return judge, created


@transaction.atomic
def judge_invite(
    *, reading_round: ReadingRound, email: str, stages: str = Stages.FIRST, by: Any, now: dt.datetime | None = None
) -> RoundJudge | JudgeInvitation:
    """Put the person with this address on the panel (an account exists: they are told by e-mail), or send
    an invitation to sign up with it. The person becomes a judge of the organising organisation."""
    now = now or timezone.now()
    _not_finalised(reading_round)
    email = email.strip().lower()
    user = _user_by_email(email)
    if user is not None:
        judge, created = _seat(reading_round=reading_round, user=user, stages=stages, by=by, now=now)
        # An invitation sent before the person had an account is answered by this seat.
        JudgeInvitation.objects.filter(reading_round=reading_round, email=email, accepted_at__isnull=True).delete()
        if created:
            _email_later(emails.ADDED, judge.pk)
        return judge
    invitation, _created = JudgeInvitation.objects.update_or_create(
        reading_round=reading_round,
        email=email,
        defaults={"stages": stages, "invited_by": by, "created_at": now, "sent_at": now},
    )
    _email_later(emails.INVITATION, invitation.pk)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: Any, now: dt.datetime | None = None) -> RoundJudge:
    """Join the panel an invitation is for, signed in with the invited address (verified by allauth)."""
    now = now or timezone.now()
    invitation = JudgeInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None:
        raise JudgingError(_("This invitation does not exist or was withdrawn."))
    reading_round = invitation.reading_round
    if invitation.accepted_at is not None:
        if invitation.accepted_by_id == user.pk:
            return RoundJudge.objects.get(reading_round=reading_round, user=user)
        raise JudgingError(_("This invitation has already been accepted."))
    if not EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists():
        raise JudgingError(
            _("This invitation is for %(email)s: sign in with that address (verified) to accept it.")
            % {"email": invitation.email}
        )
    _not_finalised(reading_round)
    if reading_round.judging_closed(now):  # a seat now scores nothing, and would lift the blindfold (the gallery)
        raise JudgingError(_("The judging window of this round has closed: its panel takes no new judges."))
    judge, _created = _seat(
        reading_round=reading_round, user=user, stages=invitation.stages, by=invitation.invited_by, now=now
    )
    invitation.accepted_at, invitation.accepted_by = now, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return judge


def invitation_withdraw(*, invitation: JudgeInvitation) -> None:
    if invitation.accepted_at is None:
        invitation.delete()


@transaction.atomic
def judge_update(
    *,
    judge: RoundJudge,
    stages: str,
    organisations: Iterable[Organisation],
    emails_text: str,
    now: dt.datetime | None = None,
) -> RoundJudge:
    """Change a judge's stages and declared conflicts. Entries that now conflict (and are not scored yet)
    go back to the pool and are given to other judges."""
    now = now or timezone.now()
    reading_round = _lock(judge.reading_round)
    _not_finalised(reading_round)
    judge.stages = stages
    judge.conflict_emails = "\n".join(
        sorted({line.strip().lower() for line in emails_text.splitlines() if line.strip()})
    )
    judge.full_clean(exclude=["reading_round", "user", "invited_by"])
    judge.save(update_fields=["stages", "conflict_emails"])
    judge.conflict_organisations.set(organisations)
    _release_conflicts(reading_round=reading_round, now=now)
    return judge


@transaction.atomic
def judge_remove(*, judge: RoundJudge, now: dt.datetime | None = None) -> None:
    """Take a judge off the panel; their unscored entries go to other judges. Refused once they scored."""
    now = now or timezone.now()
    reading_round = _lock(judge.reading_round)
    _not_finalised(reading_round)
    if JudgeScore.objects.filter(assignment__judge=judge, submitted_at__isnull=False).exists():
        raise JudgingError(
            _("This judge has submitted scores: they stay on the panel so that the results can be checked.")
        )
    judge.delete()
    navigation_flag_forget("judge", judge.user_id)
    _fill(reading_round=reading_round, now=now, by=None)
