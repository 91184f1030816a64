import pytest
from django.urls import reverse

from quizzes.models import PracticeAnswer

pytestmark = pytest.mark.django_db


def _right_form(page):
    """The right answer as the practice page's form posts it: its question, its nonce, its choice tokens."""
    shown = page.context["shown"]
    question, token = shown.item.question, shown.tokens.token
    choices = list(question.choices.order_by("position", "pk"))
    form = {"question": question.pk, "nonce": page.context["nonce"]}
    if question.type in ("single", "true_false"):
        return {**form, "q1": token(next(c.pk for c in choices if c.is_correct))}
    if question.type == "multiple":
        return {**form, "q1": [token(c.pk) for c in choices if c.is_correct]}
    if question.type == "short_text":
        return {**form, "q1": choices[0].text}
    return {**form, **{f"q1_{token(c.pk)}": str(i) for i, c in enumerate(choices, 1)}}


def _page_of(client, bank, question):
    """A practice page showing ``question`` (the draw is random: ask until it comes)."""
    for _ in range(200):
        page = client.get(reverse("practice_question", args=[bank.slug]))
        if page.context["shown"].item.question == question:
            return page
    raise AssertionError("the question was never drawn")


def test_practice_lists_only_public_banks(client, bank, organisation):
    from quizzes import services

    services.bank_create(organisation=organisation, title="Riêng tư", is_public=False)
    body = client.get(reverse("practice")).content.decode()
    assert bank.title in body and "Riêng tư" not in body


def test_private_bank_cannot_be_practised(client, organisation):
    from quizzes import services

    private = services.bank_create(organisation=organisation, title="Riêng tư", is_public=False)
    assert client.get(reverse("practice_question", args=[private.slug])).status_code == 404


def test_question_page_shows_no_answer_key(client, bank):
    response = client.get(reverse("practice_question", args=[bank.slug]))
    question = response.context["shown"].item.question
    body = response.content.decode()
    assert question.explanation not in body
    if question.type == "short_text":
        assert question.choices.get().text not in body


def test_a_whole_run_gives_feedback_then_a_summary_by_topic(client, bank):
    seen = set()
    for _ in range(bank.questions.count()):
        page = client.get(reverse("practice_question", args=[bank.slug]))
        question = page.context["shown"].item.question
        assert question.pk not in seen, "a run does not repeat a question"
        seen.add(question.pk)
        feedback = client.post(reverse("practice_answer", args=[bank.slug]), _right_form(page))
        assert feedback.context["right"] is True
        assert question.explanation in feedback.content.decode()
    assert client.get(reverse("practice_question", args=[bank.slug]))["Location"].endswith("/summary/")
    summary = client.get(reverse("practice_summary", args=[bank.slug])).context["topics"]
    assert sum(row["answered"] for row in summary) == bank.questions.count()
    assert all(row["percent"] == 100 for row in summary)
    client.post(reverse("practice_summary", args=[bank.slug]))
    assert client.get(reverse("practice_question", args=[bank.slug])).status_code == 200


def test_signed_in_practice_is_kept_as_progress(client, player, bank):
    client.force_login(player)
    question = bank.questions.get(type="true_false")
    wrong = question.choices.get(is_correct=False)
    page = _page_of(client, bank, question)
    form = {**_right_form(page), "q1": page.context["shown"].tokens.token(wrong.pk)}
    response = client.post(reverse("practice_answer", args=[bank.slug]), form)
    assert response.context["right"] is False
    answer = PracticeAnswer.objects.get(user=player)
    assert (answer.question, answer.correct, answer.topic) == (question, False, question.topic)
    progress = list(client.get(reverse("practice_summary", args=[bank.slug])).context["progress"])
    assert progress[0]["answered"] == 1 and progress[0]["correct"] == 0


def test_answer_that_does_not_fit_is_explained(client, bank):
    question = bank.questions.get(type="single")
    form = {"question": question.pk, "nonce": "abc", "q1": "999999"}
    response = client.post(reverse("practice_answer", args=[bank.slug]), form)
    assert response.context["error"]
    assert not PracticeAnswer.objects.exists()
