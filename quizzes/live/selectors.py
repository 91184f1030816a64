"""Reads of live games that carry a rule: whose contest material a quiz holds, who may host it."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from ..models import LiveSession, Question, Quiz, QuizRound
from ..selectors import reserved_questions


def quiz_question_ids(quiz: Quiz) -> set[int]:
    """Every question the quiz can give: its fixed items and whatever its sampling rules could draw (as
    ``reserved_questions`` counts them)."""
    ids = set(quiz.items.values_list("question_id", flat=True))
    rules = list(quiz.rules.all())
    if rules:
        drawable = Q()
        for rule in rules:
            match = Q()
            if rule.topic:
                match &= Q(topic=rule.topic)
            if rule.difficulty:
                match &= Q(difficulty=rule.difficulty)
            drawable |= match
        ids |= set(Question.objects.filter(drawable, bank_id=quiz.bank_id).values_list("pk", flat=True))
    return ids


def reserving_organisations(*, question_ids: set[int], now: dt.datetime) -> set[int]:
    """The organisations whose open or upcoming contest rounds reserve any of ``question_ids`` now: the
    only ones whose organisers may show those questions in a live game before the round is over."""
    reserved = set(reserved_questions(now=now).filter(pk__in=question_ids).values_list("pk", flat=True))
    if not reserved:
        return set()
    from contests.models import Event, Round

    contest = Q(round__event__kind=Event.Kind.CONTEST, round__event__state__in=[Event.State.DRAFT, Event.State.OPEN])
    organisations = set()
    for quiz_round in QuizRound.objects.filter(contest).select_related("round__event", "quiz"):
        over = quiz_round.round.closes_at + dt.timedelta(seconds=quiz_round.grace_s)
        if now < over and quiz_question_ids(quiz_round.quiz) & reserved:
            organisations.add(quiz_round.round.event.organisation_id)
    live = LiveSession.objects.filter(contest, round__kind=Round.Kind.LIVE, round__closes_at__gt=now)
    for session in live.select_related("round__event", "quiz"):
        if quiz_question_ids(session.quiz) & reserved:
            organisations.add(session.round.event.organisation_id)
    return organisations


def hosting_refusal(*, quiz: Quiz, user, now: dt.datetime) -> str | None:
    """Why ``user`` may not host ``quiz`` live now, or None. A quiz holding questions of a contest round
    that is not over would show its answers to anyone with the PIN: only organisers of the organisation
    running that contest may host it (say, to rehearse), until the round's results are public."""
    from django.utils.translation import gettext as _

    from contests.selectors import organisations_organised_by

    owners = reserving_organisations(question_ids=quiz_question_ids(quiz), now=now)
    if not owners:
        return None
    if owners <= set(organisations_organised_by(user).values_list("pk", flat=True)):
        return None
    return _(
        "This quiz contains questions of a contest round that is not over yet. Until its results are public, "
        "only the organisers of that contest may host it live."
    )
