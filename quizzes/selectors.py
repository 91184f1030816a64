"""Reads of the quizzes app, with the permission checks of ``access_*`` (404 for missing and forbidden alike)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from contests.selectors import organisations_organised_by

from .choice_tokens import ChoiceTokens, attempt_scope
from .importing.base import SHORT_TEXT
from .models import Attempt, AttemptItem, Choice, Question, QuestionBank, Quiz, QuizRound


def access_quiz_round(*, round_id: int) -> QuizRound:
    """A quiz round of a visible (non-draft) event, for participants.

    ``get`` rather than ``first``: one row at most, and ``first`` adds the model's ordering (on the round's own
    ordering, a join) to a query every participant's rules page and start runs at a rush."""
    try:
        return (
            QuizRound.objects.select_related("round__event__organisation", "quiz")
            .exclude(round__event__state="draft")
            .get(round_id=round_id)
        )
    except QuizRound.DoesNotExist:
        raise Http404 from None


def access_attempt(
    *, user: Any, attempt_id: int, related: tuple[str, ...] = ("quiz_round__round__event", "quiz_round__quiz")
) -> Attempt:
    """``user``'s attempt, with ``related`` read in the same query (the attempt page, opened by everyone at
    the start of a rush, needs only its round: two joins fewer). ``get``, not ``first``: see
    ``access_quiz_round``."""
    try:
        return Attempt.objects.select_related(*related).get(pk=attempt_id, user=user)
    except Attempt.DoesNotExist:
        raise Http404 from None


# What the attempt page shows of a question (type, text, whether it has a picture, the shown choices' texts),
# kept in the cache per question: every participant of a round opens the same questions at the start of a
# rush, and reading them again was two of the page's four queries. ``question_save`` forgets a question at
# once (all processes: the cache is shared with Redis); an admin's edit, or a page that read the old texts
# just before an edit's commit and stored them just after it, shows within QUESTION_TEXTS_S (a rush's pages
# all come within it). No key is kept: a short-text question's accepted answers are not read here.
QUESTION_TEXTS_S = 60
QUESTION_TEXTS_NAMESPACE = "question-texts"  # tests give each test its own (ids are reused between test databases)
QuestionTexts = tuple[str, str, bool, dict[int, str]]  # type, text, has a picture, shown choices


def question_display_texts(question_ids: set[int]) -> dict[int, QuestionTexts]:
    keys = {pk: f"{QUESTION_TEXTS_NAMESPACE}:{pk}" for pk in question_ids}
    cached = cache.get_many(list(keys.values()))
    shown: dict[int, QuestionTexts] = {pk: cached[key] for pk, key in keys.items() if key in cached}
    missing = [pk for pk in question_ids if pk not in shown]
    if missing:
        rows = Question.objects.filter(pk__in=missing).order_by().values_list("pk", "type", "text", "image")
        fresh: dict[int, QuestionTexts] = {pk: (qtype, text, bool(image), {}) for pk, qtype, text, image in rows}
        with_choices = [pk for pk, (qtype, *_rest) in fresh.items() if qtype != SHORT_TEXT]
        for question_id, pk, text in (
            Choice.objects.filter(question_id__in=with_choices).order_by().values_list("question_id", "pk", "text")
        ):
            fresh[question_id][3][pk] = text
        cache.set_many({keys[pk]: value for pk, value in fresh.items()}, QUESTION_TEXTS_S)
        shown.update(fresh)
    return shown


def question_display_texts_forget(question_ids: list[int]) -> None:
    """Forget questions' shown texts now and again once the change is committed (a page drawn in between
    could have cached the old texts again)."""
    keys = [f"{QUESTION_TEXTS_NAMESPACE}:{pk}" for pk in question_ids]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def access_bank_for_organiser(*, user: Any, bank_id: int) -> QuestionBank:
    bank = QuestionBank.objects.filter(pk=bank_id, organisation__in=organisations_organised_by(user)).first()
    if bank is None:
        raise Http404
    return bank


def access_quiz_for_organiser(*, user: Any, quiz_id: int) -> Quiz:
    quiz = (
        Quiz.objects.select_related("bank")
        .filter(pk=quiz_id, organisation__in=organisations_organised_by(user))
        .first()
    )
    if quiz is None:
        raise Http404
    return quiz


def access_question_for_organiser(*, user: Any, question_id: int) -> Question:
    question = (
        Question.objects.select_related("bank")
        .filter(pk=question_id, bank__organisation__in=organisations_organised_by(user))
        .first()
    )
    if question is None:
        raise Http404
    return question


@dataclass
class ShownQuestion:
    """A question as the participant sees it during an attempt: no answer key in here, by construction.

    ``choices`` keeps the choice ids for the server; everything a page shows names a choice by its opaque
    token in ``scope`` (``shown_choices``, ``shown_response``, ``ranked_choices``), never by its id.
    """

    item: AttemptItem
    choices: list[tuple[int, str]]
    scope: str

    @cached_property
    def tokens(self) -> ChoiceTokens:
        return ChoiceTokens(scope=self.scope, choice_ids=[cid for cid, _text in self.choices])

    @property
    def shown_choices(self) -> list[tuple[str, str]]:
        """(token, text) in display order."""
        return [(self.tokens.token(cid), text) for cid, text in self.choices]

    @property
    def shown_response(self) -> Any:
        """The saved answer as the page names it (tokens), so that a reload shows it selected."""
        return self.tokens.response_to_client(self.item.question.type, self.item.response)

    @property
    def places(self) -> range:
        return range(1, len(self.choices) + 1)

    @property
    def ranked_choices(self) -> list[tuple[str, str, int]]:
        """Ordering questions: (token, text, place) — the saved place, else the place it is shown at."""
        saved = self.item.response if isinstance(self.item.response, list) else []
        places = {cid: index for index, cid in enumerate(saved, 1)}
        return [
            (self.tokens.token(cid), text, places.get(cid, index)) for index, (cid, text) in enumerate(self.choices, 1)
        ]


def attempt_questions(*, attempt: Attempt) -> list[ShownQuestion]:
    """The attempt's questions with choices in the attempt's display order. Two queries whatever the length."""
    items = list(attempt.items.select_related("question").order_by("position"))
    ids = [cid for item in items for cid in item.choice_order]
    texts = dict(Choice.objects.filter(pk__in=ids).values_list("pk", "text"))
    scope = attempt_scope(attempt)
    return [
        ShownQuestion(item=item, choices=[(cid, texts[cid]) for cid in item.choice_order], scope=scope)
        for item in items
    ]


def attempt_review(*, attempt: Attempt) -> list[dict[str, Any]]:
    """Every question with the participant's answer, the right answer and the explanation (feedback allowed)."""
    items = list(attempt.items.select_related("question").prefetch_related("question__choices").order_by("position"))
    review = []
    for item in items:
        choices = sorted(item.question.choices.all(), key=lambda c: (c.position, c.pk))
        review.append(
            {
                "item": item,
                "question": item.question,
                "choices": choices,
                "given": item.response,
                "right": [c for c in choices if c.is_correct],
            }
        )
    return review


def my_attempts(*, quiz_round: QuizRound, user: Any) -> list[Attempt]:
    if not user.is_authenticated:
        return []
    return list(Attempt.objects.filter(quiz_round=quiz_round, user=user).order_by("number"))


# --- Contest material ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reservation:
    """A contest round that keeps a quiz's questions private: the round, its quiz and its organisation."""

    round_id: int
    round_title: str
    quiz_id: int
    bank_id: int
    organisation_id: int


def reservations() -> list[Reservation]:
    """The contest rounds whose questions stay private, and their quizzes.

    Why: a contest's key must not be one click away. A contest's quiz round (whatever its state: draft events
    are being prepared, closed ones may still be judged or corrected) and the quiz of any live session
    attached to a contest's live round keep their questions out of practice, public images and other
    people's live games until the round's results are public: the event's results published, or the
    round's own. Reviews under a round's feedback policy show its own entrants their answers earlier; that
    is the organiser's choice for those entrants, not publication to everyone.
    """
    from contests.models import Event, Round
    from leaderboard.models import ResultSet

    # The one read of the live app from here (named in docs/architecture.md): a live round reserves its quiz's
    # questions as a quiz round does. By name, so quizzes imports nothing from the app built on top of it.
    LiveSession: Any = apps.get_model("live", "LiveSession")

    unpublished = Q(round__event__kind=Event.Kind.CONTEST) & ~Q(round__event__state=Event.State.RESULTS_PUBLISHED)
    unpublished &= ~Q(round__in=ResultSet.objects.filter(round__isnull=False).values("round_id"))
    found = [
        Reservation(qr.round_id, qr.round.title, qr.quiz_id, qr.quiz.bank_id, qr.round.event.organisation_id)
        for qr in QuizRound.objects.filter(unpublished).select_related("round__event", "quiz")
    ]
    live = LiveSession.objects.filter(unpublished, round__kind=Round.Kind.LIVE).select_related("round__event", "quiz")
    found += [
        Reservation(s.round_id, s.round.title, s.quiz_id, s.quiz.bank_id, s.round.event.organisation_id) for s in live
    ]
    return found


def reserved_questions(*, within: list[Reservation] | None = None) -> QuerySet[Question]:
    """The questions of ``within`` (default: every reservation): a quiz's fixed items, or any question of
    its bank that one of its sampling rules could draw."""
    from .models import SamplingRule

    quiz_ids = {r.quiz_id for r in (reservations() if within is None else within)}
    through: Any = Quiz.questions.through
    fixed = Q(pk__in=through.objects.filter(quiz_id__in=quiz_ids).values("question_id"))
    drawable = SamplingRule.objects.filter(quiz_id__in=quiz_ids, quiz__bank_id=OuterRef("bank_id")).filter(
        Q(topic="") | Q(topic=OuterRef("topic")), Q(difficulty__isnull=True) | Q(difficulty=OuterRef("difficulty"))
    )
    return Question.objects.filter(fixed | Q(Exists(drawable)))


def question_is_reserved(*, question: Question) -> bool:
    return bool(reserved_questions().filter(pk=question.pk).exists())


@dataclass
class Withheld:
    """What a public bank's practice is missing because contest rounds use the bank: ``count`` questions,
    until the results of ``rounds`` are published."""

    count: int
    rounds: list[str]


def bank_withheld_from_practice(*, bank: QuestionBank) -> Withheld | None:
    """For the organiser's warning: a bank marked open for practice that a contest round uses has questions
    withheld from practice (``reserved_questions``); None when nothing is withheld."""
    if not bank.is_public:
        return None
    using = [r for r in reservations() if r.bank_id == bank.pk]
    count = reserved_questions(within=using).filter(bank=bank).count() if using else 0
    if not count:
        return None
    return Withheld(count=count, rounds=sorted({r.round_title for r in using}))
