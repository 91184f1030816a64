"""The attempt page's questions built without templates (quizzes/attempt_page.py) and the submit as one
service call: what the participant sees and what is stored must be what it was before."""

import datetime as dt
import json
import re

import pytest
from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from quizzes import services
from quizzes.models import Attempt, AttemptItem

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


def page(client, attempt) -> str:
    response = client.get(reverse("attempt_take", args=[attempt.pk]))
    assert response.status_code == 200
    return response.content.decode()


def card(body: str, position: int) -> str:
    return re.search(rf'<fieldset class="question-card" id="question-{position}".*?</fieldset>', body, re.S).group(0)


def test_every_saved_answer_shows_after_a_reload(client, playing):
    items = {item.question.type: item for item in playing.items.select_related("attempt", "question")}
    first = page(client, playing)
    assert "checked" not in first and 'class="answered"' not in first
    single, multiple, text, ordering = (items[t] for t in ("single", "multiple", "short_text", "ordering"))
    multiple_pick = multiple.choice_order[:2]
    reversed_order = list(reversed(ordering.choice_order))
    for item, value in [
        (single, as_client(single, single.choice_order[1])),
        (multiple, as_client(multiple, multiple_pick)),
        (text, ' <b>"Hà Nội"</b> '),
        (ordering, as_client(ordering, reversed_order)),
    ]:
        assert post_answer(client, playing, item.position, value).status_code == 200

    body = page(client, playing)
    checked = re.findall(r'value="([a-z2-7]+)"\s+checked', card(body, single.position))
    assert checked == [as_client(single, single.choice_order[1])]
    checked = re.findall(r'value="([a-z2-7]+)"\s+checked', card(body, multiple.position))
    assert sorted(checked) == sorted(as_client(multiple, multiple_pick))
    text_card = card(body, text.position)
    assert 'value="&lt;b&gt;&quot;Hà Nội&quot;&lt;/b&gt;"' in text_card and "<b>" not in text_card
    ordering_card = card(body, ordering.position)
    for place, cid in enumerate(reversed_order, 1):
        token = as_client(ordering, cid)
        select = re.search(rf'<select name="q{ordering.position}_{token}".*?</select>', ordering_card, re.S).group(0)
        assert re.findall(r'<option value="(\d+)" selected>', select) == [str(place)]
    answered = set(re.findall(r'id="nav-(\d+)" class="answered"', body))
    assert answered == {str(i.position) for i in (single, multiple, text, ordering)}
    # The question not answered has nothing checked and no mark.
    true_false = items["true_false"]
    assert "checked" not in card(body, true_false.position)
    assert str(true_false.position) not in answered


def test_an_unanswered_ordering_shows_each_item_at_its_place_on_the_page(client, playing):
    ordering = playing.items.select_related("attempt", "question").get(question__type="ordering")
    ordering_card = card(page(client, playing), ordering.position)
    for place, cid in enumerate(ordering.choice_order, 1):
        token = as_client(ordering, cid)
        select = re.search(rf'<select name="q{ordering.position}_{token}".*?</select>', ordering_card, re.S).group(0)
        assert re.findall(r'<option value="(\d+)" selected>', select) == [str(place)]


def test_a_wording_fix_shows_at_the_next_reload_and_texts_stay_text(client, playing):
    page(client, playing)
    question = playing.items.select_related("question").get(position=1).question
    parsed = services.question_to_parsed(question)
    parsed.text = "Câu hỏi đã sửa\n<script>x</script>"
    services.question_save(bank=question.bank, parsed=parsed, question=question)
    body = page(client, playing)
    assert "Câu hỏi đã sửa<br>&lt;script&gt;x&lt;/script&gt;" in body


def test_the_questions_speak_the_visitors_language(client, playing):
    assert "Câu 1" in page(client, playing)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = page(client, playing)
    assert "Question 1" in body and "Câu 1" not in body


def test_opening_an_expired_attempt_writes_nothing_and_leads_to_the_result(client, playing):
    now = timezone.now()
    Attempt.objects.filter(pk=playing.pk).update(
        started_at=now - dt.timedelta(minutes=20), deadline=now - dt.timedelta(minutes=5)
    )
    response = client.get(reverse("attempt_take", args=[playing.pk]))
    assert response["Location"] == reverse("attempt_result", args=[playing.pk])
    assert Attempt.objects.get(pk=playing.pk).status == Attempt.Status.ACTIVE  # a read: the job/sweep close it
    result = client.get(reverse("attempt_result", args=[playing.pk]))
    assert result.status_code == 200
    assert Attempt.objects.get(pk=playing.pk).status == Attempt.Status.SUBMITTED


def form_of(attempt, answers) -> QueryDict:
    form = QueryDict(mutable=True)
    for item in attempt.items.select_related("question"):
        value = answers[item.position]
        if item.question.type == "ordering":
            for place, token in enumerate(value, 1):
                form[f"q{item.position}_{token}"] = str(place)
        elif item.question.type == "multiple":
            form.setlist(f"q{item.position}", list(value))
        else:
            form[f"q{item.position}"] = str(value)
    return form


def test_submit_saves_grades_and_closes_in_one_call_and_refuses_what_does_not_fit(playing, player):
    answers = right_answers_as_client(playing)
    form = form_of(playing, answers)
    single = playing.items.get(question__type="single")
    form[f"q{single.position}"] = str(single.choice_order[0])  # a raw id, not a token: refused, not saved
    attempt = services.attempt_submit(attempt_id=playing.pk, user=player, responses=form)
    assert attempt.answers_refused == [single.position]
    assert attempt.status == Attempt.Status.SUBMITTED
    assert AttemptItem.objects.get(pk=single.pk).response is None
    assert attempt.score == attempt.max_score - single.question.points
    again = services.attempt_submit(attempt_id=playing.pk, user=player, responses=form_of(playing, answers))
    assert again.score == attempt.score  # submitting twice is harmless: the first grading stands


def test_a_bad_prediction_keeps_the_posted_answers_and_the_attempt_open(client, player, make_quiz_round):
    quiz_round = make_quiz_round(prediction_prompt="Bao nhiêu?")
    client.force_login(player)
    client.post(reverse("attempt_start", args=[quiz_round.round_id]))
    attempt = Attempt.objects.get(user=player)
    answers = right_answers_as_client(attempt)
    form = form_of(attempt, answers)
    form["prediction"] = "99999999"
    response = client.post(
        reverse("attempt_submit", args=[attempt.pk]), form.urlencode(), content_type="application/x-www-form-urlencoded"
    )
    assert response["Location"] == reverse("attempt_take", args=[attempt.pk])
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.ACTIVE
    assert not attempt.items.filter(response=None).exists()  # the plain form's answers were kept


def test_answers_posted_after_deadline_and_grace_are_not_saved(playing, player):
    answers = right_answers_as_client(playing)
    late = playing.deadline + dt.timedelta(seconds=playing.quiz_round.grace_s + 1)
    attempt = services.attempt_submit(attempt_id=playing.pk, user=player, now=late, responses=form_of(playing, answers))
    assert attempt.closed_by == Attempt.ClosedBy.DEADLINE and attempt.score == 0
    assert not playing.items.exclude(response=None).exists()
