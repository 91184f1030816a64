"""Practice mode: any public bank, one question at a time, immediate feedback, a summary by topic, and
progress over time for signed-in users. Unlimited and low-stakes: nothing here reaches a leaderboard.

Two rules keep it from helping anyone game a contest. A question an open or upcoming contest round may give
(``selectors.reserved_questions``) is never drawn, graded or counted here until that round's results are public, even in
a bank marked public. And the page names choices by tokens in a scope of its own (a random nonce per
rendered question, carried in the form), never by database id, whose order is the author's.
"""

from __future__ import annotations

import random
import secrets

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..choice_tokens import practice_scope
from ..grading import InvalidResponse
from ..importing.base import SHORT_TEXT
from ..models import AttemptItem, PracticeAnswer, Question, QuestionBank
from ..posted import posted_answer
from ..selectors import ShownQuestion

RUN_KEY = "practice_run"
NONCE_LENGTH = 64


def _public_bank(slug: str) -> QuestionBank:
    bank = QuestionBank.objects.filter(slug=slug, is_public=True).first()
    if bank is None:
        raise Http404
    return bank


def _run(request, bank: QuestionBank) -> dict:
    """This browser's current practice run of a bank: questions seen and results by topic."""
    runs = request.session.setdefault(RUN_KEY, {})
    return runs.setdefault(str(bank.pk), {"seen": [], "topics": {}})


def _practice_questions(bank: QuestionBank):
    """The bank's questions that practice may serve now: approved ones (``quizzes.review``: practice teaches,
    so an unreviewed key must not), none that a contest round may still give."""
    approved = bank.questions.filter(status=Question.Status.APPROVED)
    return approved.exclude(pk__in=selectors.reserved_questions().values("pk"))


def _shown(question: Question, nonce: str) -> ShownQuestion:
    choices = list(question.choices.order_by("position", "pk").values_list("pk", "text"))
    if question.type == SHORT_TEXT:
        choices = []
    else:
        random.shuffle(choices)
    item = AttemptItem(question=question, position=1, choice_order=[pk for pk, _text in choices])
    return ShownQuestion(item=item, choices=choices, scope=practice_scope(nonce))


def practice_home(request):
    reserved = selectors.reserved_questions().values("pk")
    banks = (
        QuestionBank.objects.filter(is_public=True)
        .select_related("organisation")
        .annotate(n=Count("questions", filter=~Q(questions__in=reserved) & Q(questions__status="approved")))
    )
    return render(request, "quizzes/practice/home.html", {"banks": banks})


def practice_question(request, slug: str):
    bank = _public_bank(slug)
    topic = request.GET.get("topic", "")
    run = _run(request, bank)
    servable = _practice_questions(bank)
    pool = servable.filter(topic=topic) if topic else servable
    fresh = list(pool.exclude(pk__in=run["seen"]).values_list("pk", flat=True))
    if not fresh:
        return redirect(f"{request.path}summary/")
    question = Question.objects.get(pk=random.choice(fresh))  # noqa: S311 - which question to practise next
    nonce = secrets.token_urlsafe(12)
    topics = servable.values_list("topic", flat=True).distinct().order_by("topic")
    return render(
        request,
        "quizzes/practice/question.html",
        {
            "bank": bank,
            "shown": _shown(question, nonce),
            "nonce": nonce,
            "topic": topic,
            "topics": topics,
            "done": len(run["seen"]),
            "total": pool.count(),
        },
    )


@require_POST
def practice_answer(request, slug: str):
    bank = _public_bank(slug)
    question = _practice_questions(bank).filter(pk=request.POST.get("question", "0")).first()
    nonce = request.POST.get("nonce", "")
    if question is None or not 0 < len(nonce) <= NONCE_LENGTH:
        raise Http404
    shown = _shown(question, nonce)
    response = posted_answer(
        question.type, f"q{shown.item.position}", [token for token, _text in shown.shown_choices], request.POST
    )
    error = None
    try:
        points = services.practice_answer(
            question=question, user=request.user, response=response, token_scope=practice_scope(nonce)
        )
    except InvalidResponse:
        error, points = _("That answer does not fit the question."), None
    if points is not None:
        run = _run(request, bank)
        if question.pk not in run["seen"]:
            run["seen"].append(question.pk)
            stats = run["topics"].setdefault(question.topic or "—", [0, 0])
            stats[0] += 1
            stats[1] += int(points == question.points)
        request.session.modified = True
    choices = list(question.choices.order_by("position", "pk"))
    return render(
        request,
        "quizzes/practice/feedback.html",
        {
            "bank": bank,
            "question": question,
            "points": points,
            "error": error,
            "right": points is not None and points == question.points,
            "choices": choices,
            "correct": [c for c in choices if c.is_correct],
            "topic": request.POST.get("topic", ""),
        },
    )


def practice_summary(request, slug: str):
    bank = _public_bank(slug)
    run = _run(request, bank)
    if request.method == "POST":
        request.session[RUN_KEY].pop(str(bank.pk), None)
        request.session.modified = True
        return redirect("practice_question", slug=bank.slug)
    topics = sorted(
        (
            {"topic": name, "answered": n, "correct": right, "percent": round(100 * right / n) if n else 0}
            for name, (n, right) in run["topics"].items()
        ),
        key=lambda row: row["percent"],
    )
    progress = []
    if request.user.is_authenticated:
        progress = (
            PracticeAnswer.objects.filter(user=request.user, question__bank=bank)
            .annotate(day=TruncDate("answered_at"))
            .values("topic", "day")
            .annotate(answered=Count("pk"), correct=Count("pk", filter=Q(correct=True)))
            .order_by("topic", "day")
        )
    return render(request, "quizzes/practice/summary.html", {"bank": bank, "topics": topics, "progress": progress})
