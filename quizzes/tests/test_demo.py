"""The demo does contest material right: the contest round draws from a private bank, and the public
practice bank, with other questions, stays fully practisable while the contest is open."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from quizzes.models import QuestionBank, QuizRound
from quizzes.selectors import reserved_questions

pytestmark = pytest.mark.django_db


def test_the_demo_contest_draws_from_a_private_bank_and_practice_keeps_every_public_question(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    assert QuestionBank.objects.filter(slug__startswith="cong-dan-so").count() == 2
    contest = QuizRound.objects.select_related("quiz__bank").get(round__event__slug="cong-dan-so-2023")
    practice = QuestionBank.objects.get(slug="cong-dan-so")
    assert contest.quiz.bank.is_public is False and practice.is_public is True
    assert not reserved_questions().filter(bank=practice).exists()
    contest_texts = set(contest.quiz.bank.questions.values_list("text", flat=True))
    assert contest_texts and not contest_texts & set(practice.questions.values_list("text", flat=True))
    page = client.get(reverse("practice_question", args=[practice.slug]))
    assert page.status_code == 200 and page.context["total"] == practice.questions.count()
