"""Public votes: who may vote for an entry, and the rate-limited vote itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contest_site import ratelimit

from ..models import Entry, Vote
from ..panel import is_panel_judge
from ..selectors import in_public_gallery
from .errors import VoteError, VoteLimited

VOTES_PER_MINUTE = 30


def vote_problems(*, entry: Entry, user: Any, now: dt.datetime) -> list[str]:
    reading_round = entry.reading_round
    if not user.is_authenticated:
        return [_("Sign in to vote.")]
    if not in_public_gallery(entry) or not reading_round.voting_enabled:
        return [_("This entry cannot receive votes.")]
    if not reading_round.voting_open(now):
        return [_("Voting is not open.")]
    if reading_round.judging_finalised_at is not None:  # the final scores are recorded: a vote would change nothing
        return [_("Judging is finalised: voting has ended.")]
    if entry.user_id == user.pk:
        return [_("You cannot vote for your own entry.")]
    if is_panel_judge(user=user, reading_round=reading_round):
        # the vote is a share of the final score: a judge would weigh twice on the entries they score
        return [_("Judges of this round do not vote in its public vote.")]
    if not EmailAddress.objects.filter(user_id=user.pk, verified=True).exists():
        return [_("Verify your email address before voting.")]
    return []


def vote_cast(*, entry: Entry, user: Any, now: dt.datetime | None = None) -> Vote:
    """Count one vote of ``user`` for ``entry``; raise VoteError with the reason when it cannot count.

    One vote per account and entry is the database's unique constraint: two requests at the same moment
    cannot both insert, and the loser is told it already voted. A per-account rate limit stops scripts.
    """
    now = now or timezone.now()
    problems = vote_problems(entry=entry, user=user, now=now)
    if problems:
        raise VoteError(" ".join(problems))
    if not ratelimit.hit(f"vote:{user.pk}", limit=VOTES_PER_MINUTE, period_s=60, now=now):
        raise VoteLimited(_("Too many votes in a short time: wait a minute and try again."))
    try:
        with transaction.atomic():
            return Vote.objects.create(entry=entry, user=user, created_at=now)
    except IntegrityError as exc:
        raise VoteError(_("You have already voted for this entry.")) from exc
