"""Banks and questions: creating banks, importing and saving questions, and the answer keys grading reads.

Here because every other part (quizzes, attempts, grading, practice) reads questions and their keys, and
questions read nothing of theirs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from contests.images import normalise_image

from ..grading import AnswerKey
from ..importing.base import SHORT_TEXT, ParsedQuestion
from ..models import AttemptItem, Choice, Question, QuestionBank, QuizItem
from ..review import question_edited
from ..selectors import question_display_texts_forget

if TYPE_CHECKING:
    from contests.models import Organisation

QUESTION_IMAGE_SIZE = (1200, 900)


def bank_create(
    *, organisation: Organisation, title: str, description: str = "", is_public: bool = False, slug: str = ""
) -> QuestionBank:
    stem = slugify(slug or title)[:60] or "bank"
    candidate = stem
    while QuestionBank.objects.filter(slug=candidate).exists():
        candidate = f"{stem}-{get_random_string(4, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    bank = QuestionBank(
        organisation=organisation, title=title, description=description, is_public=is_public, slug=candidate
    )
    bank.full_clean()
    bank.save()
    return bank


def bank_update(*, bank: QuestionBank, title: str, description: str, is_public: bool) -> QuestionBank:
    """Rename or describe a bank, or open it to practice (``is_public``). Questions a contest round still reserves
    stay out of practice and public images whatever this says (``quizzes.selectors.reservations``)."""
    bank.title, bank.description, bank.is_public = title, description, is_public
    bank.full_clean()
    bank.save(update_fields=["title", "description", "is_public"])
    return bank


@transaction.atomic
def questions_import(*, bank: QuestionBank, questions: list[ParsedQuestion], by: Any = None) -> int:
    """Add parsed questions to ``bank`` as drafts by ``by`` (their author; None for the operator's scripts).
    Refuses (imports nothing) if any question carries an error."""
    invalid = [q for q in questions if q.errors]
    if invalid:
        first = invalid[0]
        raise ValidationError(_("%(where)s: %(error)s") % {"where": first.where, "error": "; ".join(first.errors)})
    for parsed in questions:
        question_save(bank=bank, parsed=parsed, by=by)
    return len(questions)


def question_in_use(question: Question) -> bool:
    return AttemptItem.objects.filter(question=question).exists()


@transaction.atomic
def question_save(
    *, bank: QuestionBank, parsed: ParsedQuestion, question: Question | None = None, image: Any = None, by: Any = None
) -> Question:
    """Create (or update) one question from a validated ``ParsedQuestion``. A new question is a draft by
    ``by`` (``quizzes.review``: someone else reviews and approves it before a contest may use it).

    A question already given in an attempt keeps what grades it (type, choices, points, partial credit,
    ignoring diacritics): changing any of them would grade two attempts of one round differently, or
    silently change results graded already. Its wording, explanation and links may still be fixed.

    A content edit (``_content_signature``; a new or removed image too) of a reviewed or approved question
    goes back to review (``review.question_edited``).
    """
    if parsed.errors:
        raise ValidationError("; ".join(parsed.errors))
    # What is stored, read afresh and locked: the editor's form has already written its input on ``question``.
    stored = Question.objects.select_for_update().get(pk=question.pk) if question and question.pk else None
    question = question or Question(bank=bank, created_by=by, status=Question.Status.DRAFT)
    locked = stored is not None and question_in_use(stored)
    if locked and _grading_signature(parsed) != _stored_grading_signature(cast(Question, stored)):
        raise ValidationError(
            _(
                "This question has been answered in an attempt: its type, choices, points, partial credit "
                "and diacritics setting can no longer change, so that every attempt is graded alike. "
                "Create a new question instead."
            )
        )
    content_edited = stored is not None and (
        image is not None or _content_signature(parsed) != _stored_content_signature(stored)
    )
    if stored is not None:
        question.status = stored.status
    question.type = parsed.type
    question.text = parsed.text.strip()
    question.topic = parsed.topic.strip()[:120]
    question.difficulty = parsed.difficulty
    question.explanation = parsed.explanation.strip()
    question.resource_url = parsed.resource_url
    question.resource_title = parsed.resource_title[:200]
    question.partial_credit = parsed.partial_credit
    question.ignore_diacritics = parsed.ignore_diacritics
    question.points = Decimal(str(parsed.points))
    question.time_limit_s = parsed.time_limit_s
    if image is False:
        question.image.delete(save=False)
    elif image is not None:
        cleaned = normalise_image(image, max_size=QUESTION_IMAGE_SIZE, name_stem=get_random_string(16))
        question.image.save(cast(str, cleaned.name), cleaned, save=False)
    question.full_clean(exclude=["bank"])
    question.save()
    if not locked:
        question.choices.all().delete()
        Choice.objects.bulk_create(
            Choice(question=question, text=choice.text.strip()[:500], is_correct=choice.is_correct, position=index)
            for index, choice in enumerate(parsed.choices)
        )
    if content_edited:
        question_edited(question=question, by=by, in_use=locked)
    question_display_texts_forget([question.pk])  # attempt pages show the fix at their next load
    return question


def _grading_signature(parsed: ParsedQuestion) -> tuple[Any, ...]:
    """Everything the grading reads from a question, as the form sends it."""
    choices = [(c.text.strip(), bool(c.is_correct)) for c in parsed.choices]
    return (
        parsed.type,
        choices,
        Decimal(str(parsed.points)),
        bool(parsed.partial_credit),
        bool(parsed.ignore_diacritics),
    )


def _stored_grading_signature(question: Question) -> tuple[Any, ...]:
    choices = [(c.text, c.is_correct) for c in question.choices.order_by("position", "pk")]
    return question.type, choices, Decimal(question.points), question.partial_credit, question.ignore_diacritics


def _content_signature(parsed: ParsedQuestion) -> tuple[Any, ...]:
    """What a review approves: what grades the question, and what participants read (its text and the
    explanation shown after). Topic, difficulty, time limit and the learning link are the bank's sorting
    and may change without a new review."""
    return (*_grading_signature(parsed), parsed.text.strip(), parsed.explanation.strip())


def _stored_content_signature(question: Question) -> tuple[Any, ...]:
    return (*_stored_grading_signature(question), question.text, question.explanation)


def question_delete(*, question: Question) -> None:
    if question_in_use(question) or QuizItem.objects.filter(question=question).exists():
        raise ValidationError(_("This question is used by a quiz or an attempt and cannot be deleted."))
    question.delete()


def question_to_parsed(question: Question) -> ParsedQuestion:
    """The inverse of the import, for the Excel export and the editor."""
    from ..importing.base import ParsedChoice

    return ParsedQuestion(
        where=str(question.pk),
        type=question.type,
        text=question.text,
        choices=[ParsedChoice(text=c.text, is_correct=c.is_correct) for c in question.choices.all()],
        topic=question.topic,
        difficulty=question.difficulty,
        explanation=question.explanation,
        resource_url=question.resource_url,
        resource_title=question.resource_title,
        partial_credit=question.partial_credit,
        ignore_diacritics=question.ignore_diacritics,
        time_limit_s=question.time_limit_s,
        points=float(question.points),
    )


def answer_key(question: Question) -> AnswerKey:
    """The grading key of a question. Needs ``question.choices`` (prefetch it when grading many)."""
    choices = sorted(question.choices.all(), key=lambda c: (c.position, c.pk))
    return AnswerKey(
        type=question.type,
        points=question.points,
        choice_ids=tuple(c.pk for c in choices),
        correct_ids=frozenset(c.pk for c in choices if c.is_correct),
        accepted_texts=tuple(c.text for c in choices) if question.type == SHORT_TEXT else (),
        partial_credit=question.partial_credit,
        ignore_diacritics=question.ignore_diacritics,
    )


def _answer_keys(questions: list[Question]) -> dict[int, AnswerKey]:
    """``answer_key`` of each question, their choices read in one query without model instances: a submit
    grades 20 questions, and ``prefetch_related("question__choices")`` built a queryset per question (a third
    of the grading's CPU, bench/quiz_submit.py --profile)."""
    rows: dict[int, list[tuple[Any, ...]]] = {question.pk: [] for question in questions}
    choices = Choice.objects.filter(question_id__in=list(rows)).order_by("position", "pk")
    for question_id, pk, is_correct, text in choices.values_list("question_id", "pk", "is_correct", "text"):
        rows[question_id].append((pk, is_correct, text))
    keys = {}
    for question in questions:
        own = rows[question.pk]
        keys[question.pk] = AnswerKey(
            type=question.type,
            points=question.points,
            choice_ids=tuple(pk for pk, _right, _text in own),
            correct_ids=frozenset(pk for pk, right, _text in own if right),
            accepted_texts=tuple(text for _pk, _right, text in own) if question.type == SHORT_TEXT else (),
            partial_credit=question.partial_credit,
            ignore_diacritics=question.ignore_diacritics,
        )
    return keys
