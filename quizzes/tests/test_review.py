"""Question review before use: the steps, the reviewer is never the author, the history, and what only
approved questions may reach (a contest's quiz round, practice)."""

import dataclasses

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import PASSWORD
from contests import services as contest_services
from contests.models import Event
from quizzes import review, services
from quizzes.importing.base import ParsedChoice
from quizzes.models import Question, QuestionReview

from .conftest import sample_questions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Refusals are matched by their English text; the default language is Vietnamese."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def colleague(make_user, organisation):
    user = make_user("colleague@example.vn")
    contest_services.membership_add(user=user, organisation=organisation)
    return user


@pytest.fixture
def draft_bank(organisation, organiser):
    bank = services.bank_create(organisation=organisation, title="Bản nháp", is_public=True)
    services.questions_import(bank=bank, questions=sample_questions(), by=organiser)
    return bank


def test_imported_questions_are_drafts_of_their_author(draft_bank, organiser):
    assert set(draft_bank.questions.values_list("status", "created_by")) == {("draft", organiser.pk)}


def test_the_steps_in_order_with_history(draft_bank, colleague, now):
    question = draft_bank.questions.first()
    with pytest.raises(ValidationError, match="does not apply"):
        review.question_review(question=question, by=colleague, decision="approve")
    review.question_review(question=question, by=colleague, decision="review", comment="Đáp án đúng.", now=now)
    review.question_review(question=question, by=colleague, decision="approve", now=now)
    question.refresh_from_db()
    assert question.status == "approved"
    assert list(question.reviews.values_list("decision", "from_status", "to_status", "by")) == [
        ("review", "draft", "reviewed", colleague.pk),
        ("approve", "reviewed", "approved", colleague.pk),
    ]


def test_the_author_cannot_review_or_approve_their_own_question(draft_bank, organiser):
    question = draft_bank.questions.first()
    for decision in ("review", "approve", "return"):
        with pytest.raises(ValidationError, match="author"):
            review.question_review(question=question, by=organiser, decision=decision, comment="x")
    assert not QuestionReview.objects.exists()


def test_returning_needs_a_comment_and_is_refused_once_given(draft_bank, colleague, quiz_round, player, now):
    question = draft_bank.questions.first()
    review.question_review(question=question, by=colleague, decision="review")
    with pytest.raises(ValidationError, match="change"):
        review.question_review(question=question, by=colleague, decision="return", comment=" ")
    review.question_review(question=question, by=colleague, decision="return", comment="Sửa đáp án B.")
    question.refresh_from_db()
    assert question.status == "draft"
    given = services.attempt_start(quiz_round=quiz_round, user=player, now=now).items.first().question
    with pytest.raises(ValidationError, match="already given"):
        review.question_review(question=given, by=colleague, decision="return", comment="Sai")


def test_a_contest_round_refuses_a_fixed_quiz_with_drafts(make_event, draft_bank, organisation):
    quiz = services.quiz_create(
        organisation=organisation,
        bank=draft_bank,
        title="Đề",
        question_ids=list(draft_bank.questions.values_list("pk", flat=True)),
    )
    event = make_event(rounds=1)
    with pytest.raises(ValidationError, match="approved questions only"):
        services.quiz_round_configure(rnd=event.rounds.get(), quiz=quiz, settings={"time_limit_s": 600})


def test_a_contest_draw_takes_approved_questions_only(make_event, draft_bank, organisation, colleague, player, now):
    approved = list(draft_bank.questions.order_by("pk")[:2])
    for question in approved:
        review.question_review(question=question, by=colleague, decision="review")
        review.question_review(question=question, by=colleague, decision="approve")
    quiz = services.quiz_create(organisation=organisation, bank=draft_bank, title="Bốc thăm", rules=[("", None, 5)])
    event = make_event(rounds=1)
    with pytest.raises(ValidationError, match="2 approved"):
        services.quiz_round_configure(rnd=event.rounds.get(), quiz=quiz, settings={"time_limit_s": 600})
    services.quiz_set_questions(quiz=quiz, rules=[("", None, 2)])
    quiz_round = services.quiz_round_configure(rnd=event.rounds.get(), quiz=quiz, settings={"time_limit_s": 600})
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=event.created_by)
    quiz_round.refresh_from_db()
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    assert set(attempt.items.values_list("question_id", flat=True)) == {q.pk for q in approved}


def test_a_fixed_list_that_gained_a_draft_is_refused_at_start(quiz_round, draft_bank, player, now):
    quiz = quiz_round.quiz
    draft = draft_bank.questions.first()
    Question.objects.filter(pk=draft.pk).update(bank=quiz.bank)
    services.quiz_set_questions(quiz=quiz, question_ids=[*quiz.items.values_list("question_id", flat=True), draft.pk])
    with pytest.raises(services.QuizError, match="reviewed"):
        services.attempt_start(quiz_round=quiz_round, user=player, now=now)


def test_practice_serves_approved_questions_only(client, draft_bank):
    response = client.get(reverse("practice_question", args=[draft_bank.slug]))
    assert draft_bank.questions.filter(status="approved").count() == 0
    assert response.status_code in (200, 302, 404)
    for question in draft_bank.questions.all():
        assert question.text not in response.content.decode()


def test_demo_data_is_approved_by_the_system(organisation):
    from quizzes.demo import load_contest_bank

    bank = load_contest_bank(organisation)
    assert set(bank.questions.values_list("status", flat=True)) == {"approved"}
    assert QuestionReview.objects.filter(question__bank=bank, by__isnull=True, decision="approve").count() == (
        bank.questions.count()
    )


def _login(client, user):
    client.login(username=user.username, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_review_pages_are_the_banks_organisers_only(client, draft_bank, other_organiser, participant):
    question = draft_bank.questions.first()
    for user in (other_organiser, participant):
        _login(client, user)
        assert client.get(reverse("organiser_review_queue", args=[draft_bank.pk])).status_code == 404
        url = reverse("organiser_question_review", args=[question.pk])
        assert client.post(url, {"decision": "review"}).status_code == 404
    question.refresh_from_db()
    assert question.status == "draft"


def test_the_author_sees_no_form_and_a_forged_post_changes_nothing(client, draft_bank, organiser):
    question = draft_bank.questions.first()
    _login(client, organiser)
    url = reverse("organiser_question_review", args=[question.pk])
    assert "author-notice" in client.get(url).content.decode()
    response = client.post(url, {"decision": "review"})
    assert response.status_code == 200 and "cannot review" in response.content.decode()
    question.refresh_from_db()
    assert question.status == "draft"


def test_a_colleague_reviews_from_the_queue(client, draft_bank, colleague):
    question = draft_bank.questions.first()
    _login(client, colleague)
    queue = client.get(reverse("organiser_review_queue", args=[draft_bank.pk])).content.decode()
    assert reverse("organiser_question_review", args=[question.pk]) in queue
    bank_page = client.get(reverse("organiser_bank", args=[draft_bank.pk])).content.decode()
    assert "review-queue-link" in bank_page and "Draft" in bank_page
    client.post(reverse("organiser_question_review", args=[question.pk]), {"decision": "review", "comment": "ok"})
    question.refresh_from_db()
    assert question.status == "reviewed"


def _approved(draft_bank, colleague, qtype="single"):
    question = draft_bank.questions.get(type=qtype)
    review.question_review(question=question, by=colleague, decision="review")
    review.question_review(question=question, by=colleague, decision="approve")
    question.refresh_from_db()
    return question


def _edit(question, by, **changes):
    parsed = dataclasses.replace(services.question_to_parsed(question), **changes)
    return services.question_save(bank=question.bank, parsed=parsed, question=question, by=by)


CONTENT_EDITS = {
    "text": {"text": "Mật khẩu nào mạnh nhất?"},
    "key": {"choices": [ParsedChoice("123456", True), ParsedChoice("T@o-Mk-2023!", False), ParsedChoice("x", False)]},
    "choice text": {"choices": [ParsedChoice("1234567", False), ParsedChoice("T@o-Mk-2023!", True)]},
    "points": {"points": 3},
    "type": {"type": "multiple"},
    "explanation": {"explanation": "Vì có chữ, số và ký hiệu."},
}


@pytest.mark.parametrize("change", list(CONTENT_EDITS))
def test_a_content_edit_of_an_approved_question_sends_it_back_to_review(draft_bank, organiser, colleague, now, change):
    question = _approved(draft_bank, colleague)
    _edit(question, organiser, **CONTENT_EDITS[change])
    question.refresh_from_db()
    assert question.status == "draft"
    last = question.reviews.last()
    assert (last.decision, last.from_status, last.to_status, last.by) == ("edit", "approved", "draft", organiser)
    assert last.get_decision_display() == "Edited after approval"


def test_a_content_edit_of_a_reviewed_question_sends_it_back_too(draft_bank, organiser, colleague):
    question = draft_bank.questions.get(type="single")
    review.question_review(question=question, by=colleague, decision="review")
    question.refresh_from_db()
    _edit(question, colleague, text="Sửa lời")
    question.refresh_from_db()
    assert question.status == "draft" and question.reviews.last().from_status == "reviewed"
    assert question.reviews.last().get_decision_display() == "Edited after review"


def test_a_topic_difficulty_or_link_edit_keeps_the_approval(draft_bank, organiser, colleague):
    question = _approved(draft_bank, colleague)
    _edit(question, organiser, topic="Bảo mật", difficulty=3, resource_url="https://example.vn/bai-hoc")
    question.refresh_from_db()
    assert question.status == "approved" and question.reviews.count() == 2


def test_a_draft_edit_logs_nothing(draft_bank, organiser):
    question = draft_bank.questions.get(type="single")
    _edit(question, organiser, text="Lời mới")
    assert not question.reviews.exists()


def test_a_question_given_in_an_attempt_keeps_its_approval_and_its_attempts_on_a_wording_fix(
    quiz_round, player, player2, organiser, now
):
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    question = quiz_round.quiz.items.get(question__type="single").question
    _edit(question, organiser, text="Lời đã sửa")
    question.refresh_from_db()
    assert question.status == "approved", "a running round keeps drawing it"
    last = question.reviews.last()
    assert (last.decision, last.from_status, last.to_status) == ("edit", "approved", "approved")
    assert "attempts use it" in last.comment
    assert attempt.items.filter(question=question).exists()
    services.attempt_start(quiz_round=quiz_round, user=player2, now=now)  # the round still starts


def _post_editor(client, question, **changes):
    """Post the question editor as a browser would: what it shows, with ``changes``."""
    url = reverse("organiser_question", args=[question.pk])
    form = client.get(url).context["form"]
    post = {name: value for name, value in form.initial.items() if name != "image" and value not in (None, False)}
    post.update({"choices-TOTAL_FORMS": "6", "choices-INITIAL_FORMS": "0"})
    for i, choice in enumerate(question.choices.order_by("position")):
        post[f"choices-{i}-text"] = choice.text
        if choice.is_correct:
            post[f"choices-{i}-is_correct"] = "on"
    post.update(changes)
    return client.post(url, post, follow=True)


def test_the_editor_is_told_that_the_question_goes_back_to_review(client, draft_bank, organiser, colleague):
    question = _approved(draft_bank, colleague)
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = _post_editor(client, question, text="Lời mới").content.decode()
    question.refresh_from_db()
    assert question.text == "Lời mới" and question.status == "draft"
    assert "goes back to review" in body


def test_the_editor_cannot_change_the_points_of_a_question_given_in_an_attempt(
    client, quiz_round, player, organiser, now
):
    services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    question = quiz_round.quiz.items.get(question__type="single").question
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = _post_editor(client, question, points="7").content.decode()
    question.refresh_from_db()
    assert question.points == 1 and "can no longer change" in body
