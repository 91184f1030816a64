"""Question review before use: draft → reviewed → approved, with a history of who decided what and why.

Why: a wrong key in a provincial contest is a newspaper story and a wave of appeals; a second pair of eyes
before a question can reach a contest is what exam boards do. So the reviewer is never the question's author
(``created_by``), each step is one ``QuestionReview`` row, and only approved questions are drawn into a
contest's quiz round (``services.attempt_start``) or served in practice. Playground rounds and live games
may use drafts: an organiser trying a question out with a class is part of writing it.

A content edit of a reviewed or approved question sends it back to draft (``question_edited``, called by
``services.question_save``), logged like a review step.

Questions created by the operator's own scripts (the demo seed, ``import_questions`` run on the server) have
no author; ``questions_approve_as_system`` approves those, and says so in their history.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AttemptItem, Question, QuestionReview

Decision = QuestionReview.Decision
Status = Question.Status

# decision → (the status it starts from, the status it leads to)
STEPS = {
    Decision.REVIEW: ({Status.DRAFT}, Status.REVIEWED),
    Decision.APPROVE: ({Status.REVIEWED}, Status.APPROVED),
    Decision.RETURN: ({Status.REVIEWED, Status.APPROVED}, Status.DRAFT),
}


def question_review_problems(*, question: Question, by, decision: str, comment: str = "") -> list[str]:
    """Why ``by`` cannot take ``decision`` on ``question`` now (empty list: they can)."""
    if decision not in STEPS:
        return [_("Unknown review decision.")]
    if question.created_by_id is not None and question.created_by_id == getattr(by, "pk", None):
        return [_("The author of a question cannot review or approve it: ask another organiser.")]
    starts, _to = STEPS[decision]
    if question.status not in starts:
        return [_("This question is %(status)s: that step does not apply.") % {"status": question.get_status_display()}]
    if decision == Decision.RETURN:
        if not comment.strip():
            return [_("Say what the author should change.")]
        if AttemptItem.objects.filter(question=question).exists():
            return [_("This question was already given in an attempt; it stays approved. Create a new question.")]
    return []


@transaction.atomic
def question_review(
    *, question: Question, by, decision: str, comment: str = "", now: dt.datetime | None = None
) -> QuestionReview:
    """Take one review step on a question and log it. Caller checked that ``by`` organises the bank."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    problems = question_review_problems(question=question, by=by, decision=decision, comment=comment)
    if problems:
        raise ValidationError(problems)
    _starts, to_status = STEPS[decision]
    review = QuestionReview.objects.create(
        question=question,
        by=by,
        decision=decision,
        from_status=question.status,
        to_status=to_status,
        comment=comment.strip(),
        at=now or timezone.now(),
    )
    question.status = to_status
    question.save(update_fields=["status"])
    return review


@transaction.atomic
def questions_approve_as_system(*, questions, comment: str, now: dt.datetime | None = None) -> int:
    """Approve questions that the operator's own scripts created (no author), logging both steps.

    For the demo seed and data loaded from the server's command line; questions an organiser wrote or
    imported (they have an author) go through ``question_review``."""
    now = now or timezone.now()
    pending = list(
        Question.objects.filter(pk__in=[q.pk for q in questions], created_by__isnull=True).exclude(
            status=Status.APPROVED
        )
    )
    rows = []
    for question in pending:
        if question.status == Status.DRAFT:
            rows.append(
                QuestionReview(
                    question=question,
                    decision=Decision.REVIEW,
                    from_status=Status.DRAFT,
                    to_status=Status.REVIEWED,
                    comment=comment,
                    at=now,
                )
            )
        rows.append(
            QuestionReview(
                question=question,
                decision=Decision.APPROVE,
                from_status=Status.REVIEWED,
                to_status=Status.APPROVED,
                comment=comment,
                at=now,
            )
        )
    QuestionReview.objects.bulk_create(rows)
    Question.objects.filter(pk__in=[q.pk for q in pending]).update(status=Status.APPROVED)
    return len(pending)


# the status a content edit starts from → the history's name for it
EDITS = {Status.APPROVED: Decision.EDIT_APPROVED, Status.REVIEWED: Decision.EDIT_REVIEWED}


def question_edited(*, question: Question, by, in_use: bool, now: dt.datetime | None = None) -> QuestionReview | None:
    """Send a reviewed or approved question whose content was just changed back to draft, and log the step.

    Why: what a reviewer approves is what participants read and what grades them; an edit after approval
    would reach a contest without a second pair of eyes. Except an approved question already given in an
    attempt: it stays approved, as a return is refused for it (a running round keeps drawing it, and
    ``question_save`` keeps its grading locked, so its attempts stay graded alike); the edit is still logged,
    so reviewers see it. Caller holds the question's row lock and has saved the edit.
    """
    decision = EDITS.get(question.status)
    if decision is None:
        return None
    stays = in_use and question.status == Status.APPROVED
    review = QuestionReview.objects.create(
        question=question,
        by=by,
        decision=decision,
        from_status=question.status,
        to_status=question.status if stays else Status.DRAFT,
        comment=_("Edited while attempts use it: it stays approved. Check the change.") if stays else "",
        at=now or timezone.now(),
    )
    if not stays:
        question.status = Status.DRAFT
        question.save(update_fields=["status"])
    return review


def unapproved(questions) -> list[Question]:
    """The questions of ``questions`` that are not approved (for refusing a contest's fixed list)."""
    return [q for q in questions if q.status != Status.APPROVED]
