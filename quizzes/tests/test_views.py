import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from leaderboard.models import Score
from quizzes import services
from quizzes.models import Attempt, Choice

from .conftest import as_client, right_answers_as_client

pytestmark = pytest.mark.django_db


def post_answer(client, attempt, position, response):
    return client.post(
        reverse("attempt_answer", args=[attempt.pk]),
        data=json.dumps({"position": position, "response": response}),
        content_type="application/json",
    )


@pytest.fixture
def playing(client, player, quiz_round):
    client.force_login(player)
    client.post(reverse("attempt_start", args=[quiz_round.round_id]))
    return Attempt.objects.get(user=player)


def test_round_page_states_the_rules_and_the_ranking_chain(client, player, make_quiz_round):
    quiz_round = make_quiz_round(prediction_prompt="Bao nhiêu người đạt điểm tuyệt đối?", time_tiebreak="submitted_at")
    client.force_login(player)
    response = client.get(reverse("quiz_round", args=[quiz_round.round_id]))
    body = response.content.decode()
    assert "Bao nhiêu người đạt điểm tuyệt đối?" in body
    assert response.context["chain"][1].startswith("prediction") or "dự đoán" in response.context["chain"][1]
    assert 'id="start-attempt"' in body


def test_event_page_links_to_the_quiz_round(client, quiz_round):
    body = client.get(quiz_round.round.event.get_absolute_url()).content.decode()
    assert reverse("quiz_round", args=[quiz_round.round_id]) in body


def test_no_answer_key_in_the_attempt_page_or_autosave_replies(client, playing):
    body = client.get(reverse("attempt_take", args=[playing.pk])).content.decode()
    choices = Choice.objects.filter(question__in=playing.items.values("question"))
    accepted = choices.filter(question__type="short_text").values_list("text", flat=True)
    for text in accepted:
        assert text not in body, "accepted short answers must never reach the page"
    assert "is_correct" not in body and "correct" not in re.sub(r"choose every right answer|Correct", "", body).lower()
    explanation = playing.items.first().question.explanation
    assert explanation not in body
    single = playing.items.get(question__type="single")
    reply = post_answer(client, playing, single.position, as_client(single, single.choice_order[0]))
    assert set(reply.json()) == {"saved", "position", "saved_at"}


def test_the_attempt_page_shows_no_way_out_but_the_brand_and_the_language(client, playing, quiz_round):
    """The timed attempt is a focused page (as an exam layout): no site links, bell or sign-out to wander off
    by, while the language can still be switched; the rules page keeps the full navigation."""
    page = client.get(reverse("attempt_take", args=[playing.pk])).content.decode()
    assert 'id="bell"' not in page and reverse("account_logout") not in page and reverse("profile_edit") not in page
    assert reverse("set_language") in page and 'class="brand"' in page
    rules = client.get(reverse("quiz_round", args=[quiz_round.round_id])).content.decode()
    assert 'id="bell"' in rules and reverse("account_logout") in rules


def test_the_attempt_pages_texts_are_read_once_and_an_admins_edit_shows_within_their_time(
    client, playing, player2, quiz_round, django_assert_num_queries, settings
):
    """Everyone opens the same questions at a rush: their texts are read by the first page, later pages of
    any attempt read only their own rows (the user, the attempt, its items). An edit that bypasses
    ``question_save`` (the admin) shows once the cached texts expire; ``question_save``'s shows at once
    (test_attempt_page.py)."""
    from django.core.cache import cache

    from quizzes import selectors
    from quizzes.models import Question

    client.get(reverse("attempt_take", args=[playing.pk]))
    client.force_login(player2)
    client.post(reverse("attempt_start", args=[quiz_round.round_id]))
    other = Attempt.objects.get(user=player2)
    with django_assert_num_queries(3):
        page = client.get(reverse("attempt_take", args=[other.pk])).content.decode()
    question = Question.objects.get(pk=other.items.get(position=1).question_id)
    assert escape(question.text) in page
    Question.objects.filter(pk=question.pk).update(text="Câu hỏi đã sửa <lỗi chính tả>")
    assert "đã sửa" not in client.get(reverse("attempt_take", args=[other.pk])).content.decode()
    cache.delete(f"{selectors.QUESTION_TEXTS_NAMESPACE}:{question.pk}")  # what QUESTION_TEXTS_S does
    fixed = client.get(reverse("attempt_take", args=[other.pk])).content.decode()
    assert "Câu hỏi đã sửa &lt;lỗi chính tả&gt;" in fixed


def test_ordering_choices_are_never_shown_in_the_right_order(client, player, quiz_round, now):
    orders = set()
    for n in range(6):
        attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now, seed=n)
        item = attempt.items.get(question__type="ordering")
        orders.add(tuple(item.choice_order))
        attempt.delete()
    assert len(orders) > 1


def test_autosave_then_reload_shows_the_saved_answers(client, playing):
    single = playing.items.get(question__type="single")
    chosen = as_client(single, single.choice_order[1])
    assert post_answer(client, playing, single.position, chosen).status_code == 200
    assert playing.items.get(pk=single.pk).response == single.choice_order[1]
    body = client.get(reverse("attempt_take", args=[playing.pk])).content.decode()
    assert re.search(rf'value="{chosen}"\s+checked', body)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"not json", 400),
        (json.dumps({"response": 1}).encode(), 400),
        (json.dumps({"position": "x"}).encode(), 400),
        (json.dumps({"position": 1, "response": "y" * 9000}).encode(), 413),
    ],
)
def test_malformed_autosave_gets_a_clear_error_and_changes_nothing(client, playing, payload, status):
    response = client.post(reverse("attempt_answer", args=[playing.pk]), data=payload, content_type="application/json")
    assert response.status_code == status and response.json()["error"]
    assert not playing.items.exclude(response=None).exists()


def test_answer_that_does_not_fit_is_refused_in_vietnamese(client, playing):
    single = playing.items.get(question__type="single")
    response = post_answer(client, playing, single.position, 987654)
    assert response.status_code == 400
    assert response["Content-Language"] == "vi"


def test_another_participant_cannot_touch_my_attempt(client, playing, player2):
    client.force_login(player2)
    assert client.get(reverse("attempt_take", args=[playing.pk])).status_code == 404
    assert post_answer(client, playing, 1, None).status_code == 404
    assert client.post(reverse("attempt_submit", args=[playing.pk])).status_code == 404
    assert client.get(reverse("attempt_result", args=[playing.pk])).status_code == 404
    assert Attempt.objects.get(pk=playing.pk).status == "active"


def test_submit_by_plain_form_saves_and_grades_every_answer(client, playing):
    answers = right_answers_as_client(playing)
    form = {}
    for item in playing.items.select_related("question"):
        value = answers[item.position]
        if item.question.type == "ordering":
            for place, cid in enumerate(value, 1):
                form[f"q{item.position}_{cid}"] = str(place)
        elif item.question.type == "multiple":
            form[f"q{item.position}"] = [str(v) for v in value]
        else:
            form[f"q{item.position}"] = str(value)
    response = client.post(reverse("attempt_submit", args=[playing.pk]), form)
    assert response["Location"] == reverse("attempt_result", args=[playing.pk])
    playing.refresh_from_db()
    assert playing.score == playing.max_score == 5


def test_late_answers_are_refused_with_409(client, playing):
    Attempt.objects.filter(pk=playing.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    response = post_answer(client, playing, 1, None)
    assert response.status_code == 409 and response.json()["closed"] is True


def test_result_page_shows_answers_only_when_the_policy_allows(client, player, make_quiz_round):
    quiz_round = make_quiz_round(feedback="after_close")
    client.force_login(player)
    client.post(reverse("attempt_start", args=[quiz_round.round_id]))
    attempt = Attempt.objects.get(user=player)
    client.post(reverse("attempt_submit", args=[attempt.pk]))
    body = client.get(reverse("attempt_result", args=[attempt.pk])).content.decode()
    for item in attempt.items.select_related("question"):
        assert item.question.explanation not in body
    rnd = quiz_round.round
    type(rnd).objects.filter(pk=rnd.pk).update(
        closes_at=timezone.now() - dt.timedelta(seconds=1), opens_at=timezone.now() - dt.timedelta(days=1)
    )
    body = client.get(reverse("attempt_result", args=[attempt.pk])).content.decode()
    for item in attempt.items.select_related("question"):
        assert item.question.explanation not in body, "answers are still accepted in the grace after the close"
    type(rnd).objects.filter(pk=rnd.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=quiz_round.grace_s))
    body = client.get(reverse("attempt_result", args=[attempt.pk])).content.decode()
    for item in attempt.items.select_related("question"):
        assert item.question.explanation in body


def test_prediction_round_board_stays_closed_until_the_round_closes(client, player, player2, make_quiz_round):
    quiz_round = make_quiz_round(prediction_prompt="Bao nhiêu người đạt điểm tối đa?")
    for user in (player, player2):
        client.force_login(user)
        client.post(reverse("attempt_start", args=[quiz_round.round_id]))
        attempt = Attempt.objects.get(user=user)
        client.post(reverse("attempt_submit", args=[attempt.pk]), {"prediction": "3"})
    assert Score.objects.get(user=player).prediction == 3
    client.logout()
    response = client.get(reverse("round_board", args=[quiz_round.round_id]))
    assert response.context["public"] is False and response.context["top"] == []
    assert response.context["full_marks"] is None
    assert "have full marks" not in response.content.decode()
    client.force_login(player)
    result = client.get(reverse("attempt_result", args=[Attempt.objects.get(user=player).pk]))
    assert result.context["board_public"] is False


def test_full_attempt_query_count_does_not_grow_with_questions(
    client, player, organisation, make_event, bank, django_assert_max_num_queries
):
    from contests import services as contest_services
    from quizzes.tests.conftest import sample_questions

    for _copy in range(3):  # 20 questions
        services.questions_import(bank=bank, questions=sample_questions())
        from quizzes.review import questions_approve_as_system

        questions_approve_as_system(questions=bank.questions.all(), comment="test data")
    quiz = services.quiz_create(
        organisation=organisation,
        bank=bank,
        title="Dài",
        question_ids=list(bank.questions.values_list("pk", flat=True)),
    )
    event = make_event(rounds=1)
    quiz_round = services.quiz_round_configure(rnd=event.rounds.get(), quiz=quiz, settings={})
    contest_services.event_transition(event=event, to_state="open", by=event.created_by)
    client.force_login(player)
    # Pinned near today's counts (docs/benchmarks.md, issue 14): every query here is paid 10⁴–10⁵ times at a
    # deadline rush. The navigation's links are cached per user, so they cost nothing after the first page.
    with django_assert_max_num_queries(13):
        client.get(reverse("quiz_round", args=[quiz_round.round_id]))
    with django_assert_max_num_queries(13):  # the event's regions are cached since the rules page
        client.post(reverse("attempt_start", args=[quiz_round.round_id]))
    attempt = Attempt.objects.get(user=player)
    assert attempt.items.count() == 20
    with django_assert_max_num_queries(5):  # the first page of a quiz reads its texts; the profile reminder: never
        client.get(reverse("attempt_take", args=[attempt.pk]))
    single = attempt.items.filter(question__type="single").first()
    with django_assert_max_num_queries(8):
        post_answer(client, attempt, single.position, as_client(single, single.choice_order[0]))
    with django_assert_max_num_queries(12) as submitted:
        client.post(reverse("attempt_submit", args=[attempt.pk]))
    # Grading reads the questions with the items (only what it grades): a field it reads later would be one
    # more query per question, which the count above would not catch with a short quiz.
    assert not [q for q in submitted.captured_queries if q["sql"].startswith('SELECT "quizzes_question"')]
    with django_assert_max_num_queries(8):
        client.get(reverse("attempt_result", args=[attempt.pk]))


def test_submit_does_not_save_again_what_autosave_already_stored(client, playing, django_assert_max_num_queries):
    answers = right_answers_as_client(playing)
    form = {}
    for item in playing.items.select_related("question"):
        post_answer(client, playing, item.position, answers[item.position])
        value = answers[item.position]
        if item.question.type == "ordering":
            for place, cid in enumerate(value, 1):
                form[f"q{item.position}_{cid}"] = str(place)
        elif item.question.type == "multiple":
            form[f"q{item.position}"] = [str(v) for v in reversed(value)]
        else:
            form[f"q{item.position}"] = str(value)
    with django_assert_max_num_queries(30) as captured:
        client.post(reverse("attempt_submit", args=[playing.pk]), form)
    saves = [q for q in captured.captured_queries if q["sql"].startswith('UPDATE "quizzes_attemptitem" SET "response"')]
    assert saves == []
    playing.refresh_from_db()
    assert playing.score == playing.max_score


def test_attempt_steps_query_counts_at_a_rush(
    client, player, player2, quiz_round, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """Pinned (docs/benchmarks.md, the timed attempt at a rush): the rules page reads the board settings once; at
    a rush a start writes no job row of its own (the round's close job for that half-minute is already queued);
    the page and the submit stay flat."""
    client.force_login(player2)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("attempt_start", args=[quiz_round.round_id]))  # the first start queues the close job
    client.force_login(player)
    with django_assert_max_num_queries(15):  # the rules page read the round's board settings twice (16)
        client.get(reverse("quiz_round", args=[quiz_round.round_id]))
    with django_assert_max_num_queries(19), django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("attempt_start", args=[quiz_round.round_id]))
    attempt = Attempt.objects.get(user=player)
    with django_assert_max_num_queries(7):
        client.get(reverse("attempt_take", args=[attempt.pk]))
    with django_assert_max_num_queries(21):
        client.post(reverse("attempt_submit", args=[attempt.pk]))
