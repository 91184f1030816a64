"""Reads of live games that carry a rule: whose contest material a quiz holds, who may host it, and the
one door to a session for its host (``access_session_for_host``: pages and the projector's socket).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import Http404

from contests.selectors import organisations_organised_by
from quizzes.models import Question, Quiz
from quizzes.selectors import reservations, reserved_questions

from .models import LiveSession

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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


def reserving_organisations(*, question_ids: set[int]) -> set[int]:
    """The organisations whose contest rounds reserve any of ``question_ids`` (``reservations``): the only
    ones whose organisers may show those questions in a live game before the round's results are public."""
    organisations = set()
    for reservation in reservations():
        if reserved_questions(within=[reservation]).filter(pk__in=question_ids).exists():
            organisations.add(reservation.organisation_id)
    return organisations


def hosting_refusal(*, quiz: Quiz, user: User, now: dt.datetime) -> str | None:
    """Why ``user`` may not host ``quiz`` live now, or None. A quiz holding questions of a contest round
    that is not over would show its answers to anyone with the PIN: only organisers of the organisation
    running that contest may host it (say, to rehearse), until the round's results are public."""
    from django.utils.translation import gettext as _

    owners = reserving_organisations(question_ids=quiz_question_ids(quiz))
    if not owners:
        return None
    if owners <= set(organisations_organised_by(user).values_list("pk", flat=True)):
        return None
    return _(
        "This quiz contains questions of a contest round that is not over yet. Until its results are public, "
        "only the organisers of that contest may host it live."
    )


def access_session_for_host(*, user: AbstractBaseUser | AnonymousUser, session_id: int) -> LiveSession:
    """The session for its host, or for an organiser of the quiz's organisation; 404 for anyone else."""
    if not user.is_authenticated:
        raise Http404
    session = (
        LiveSession.objects.select_related("quiz", "round")
        .filter(Q(host=user) | Q(quiz__organisation__in=organisations_organised_by(user)), pk=session_id)
        .first()
    )
    if session is None:
        raise Http404
    return session
