"""Organiser pages of question review: a bank's review queue and one question's review (history + decision).
The rules (the reviewer is not the author, the order of the steps) live in ``quizzes.review``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from contests.organiser_area import form_errors_to_messages, organiser_required

from .. import review, selectors
from ..models import Question, QuestionReview


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_lazy("Decision"), choices=QuestionReview.Decision.choices)
    comment = forms.CharField(
        label=_lazy("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


@organiser_required
def review_queue(request, bank_id: int):
    """The bank's questions waiting for a review step: drafts first, then reviewed ones awaiting approval."""
    bank = selectors.access_bank_for_organiser(user=request.user, bank_id=bank_id)
    waiting = bank.questions.exclude(status=Question.Status.APPROVED).select_related("created_by__profile")
    return render(
        request,
        "quizzes/organiser/review_queue.html",
        {"bank": bank, "questions": waiting.order_by("status", "pk")},
    )


@organiser_required
def question_review(request, question_id: int):
    question = selectors.access_question_for_organiser(user=request.user, question_id=question_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review.question_review(
                question=question,
                by=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            form_errors_to_messages(request, exc, form)
        else:
            messages.success(request, _("Review recorded."))
            return redirect("organiser_review_queue", bank_id=question.bank_id)
    return render(
        request,
        "quizzes/organiser/question_review.html",
        {
            "bank": question.bank,
            "question": question,
            "choices": question.choices.order_by("position", "pk"),
            "history": question.reviews.select_related("by__profile"),
            "form": form,
            "is_author": question.created_by_id == request.user.pk,
        },
    )
