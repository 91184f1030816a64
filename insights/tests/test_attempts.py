"""Attempts list and detail, the client facts recorded at start, the page-left counter sent with autosave,
and the suspicion report, through the real views and services."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from contests.models import Category
from insights import selectors, views
from quizzes import services as quizzes
from quizzes.models import Attempt, AttemptItem
from quizzes.tests.conftest import as_client

from .conftest import right_answers

pytestmark = pytest.mark.django_db

PHONE_BROWSER = "Mozilla/5.0 (Linux; Android 10; Redmi 9A) Chrome/120.0 Mobile Safari/537.36"


def autosave(client, attempt, position, response, **extra):
    item = attempt.items.select_related("attempt", "question").get(position=position)
    body = {"position": position, "response": as_client(item, response), **extra}
    return client.post(
        reverse("attempt_answer", args=[attempt.pk]), data=json.dumps(body), content_type="application/json"
    )


def test_the_start_records_the_address_and_the_device(client, quiz_round, make_person):
    person = make_person()
    client.force_login(person)
    client.post(
        reverse("attempt_start", args=[quiz_round.round_id]), HTTP_USER_AGENT=PHONE_BROWSER, REMOTE_ADDR="203.0.113.7"
    )
    attempt = Attempt.objects.get(user=person)
    assert attempt.ip_address == "203.0.113.7" and attempt.user_agent == PHONE_BROWSER


def test_an_address_that_is_not_one_is_dropped_and_the_attempt_starts(client, quiz_round, make_person):
    person = make_person()
    client.force_login(person)
    client.post(reverse("attempt_start", args=[quiz_round.round_id]), REMOTE_ADDR="not-an-address")
    attempt = Attempt.objects.get(user=person)
    assert attempt.ip_address is None and attempt.user_agent == ""


def test_autosave_keeps_the_highest_page_left_count(client, quiz_round, make_person, now):
    person = make_person()
    client.force_login(person)
    attempt = quizzes.attempt_start(quiz_round=quiz_round, user=person, now=now)
    answers = right_answers(attempt)
    assert autosave(client, attempt, 1, answers[1], left=3).json()["saved"]
    assert autosave(client, attempt, 1, answers[1], left=1).json()["saved"]  # a count from before: kept at 3
    assert autosave(client, attempt, 2, answers[2], left=4).json()["saved"]
    left = dict(AttemptItem.objects.filter(attempt=attempt).values_list("position", "left_page"))
    assert left[1] == 3 and left[2] == 4 and left[3] == 0
    assert selectors.attempts_listed(rnd=quiz_round.round, filters={}).get().left_page == 4


@pytest.mark.parametrize("bad", ["7", -1, 1.5, True, None, 10**9])
def test_a_malformed_count_never_costs_the_answer(client, quiz_round, make_person, now, bad):
    person = make_person()
    client.force_login(person)
    attempt = quizzes.attempt_start(quiz_round=quiz_round, user=person, now=now)
    answers = right_answers(attempt)
    assert autosave(client, attempt, 1, answers[1], left=bad).json()["saved"]
    item = attempt.items.get(position=1)
    assert item.response is not None and item.left_page == 0


def test_the_count_costs_the_autosave_no_query(client, quiz_round, make_person, now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = make_person()
    client.force_login(person)
    attempt = quizzes.attempt_start(quiz_round=quiz_round, user=person, now=now)
    answers = right_answers(attempt)
    autosave(client, attempt, 1, answers[1])  # warm the session
    with CaptureQueriesContext(connection) as plain:
        autosave(client, attempt, 2, answers[2])
    with CaptureQueriesContext(connection) as counted:
        autosave(client, attempt, 3, answers[3], left=2)
    assert len(counted) == len(plain)
    updates = [query["sql"] for query in counted.captured_queries if query["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and "left_page" in updates[0], "the count rides on the answer's one UPDATE"


# --- List and detail ------------------------------------------------------------------------------------


@pytest.fixture
def field(quiz_round, make_person, take_quiz, school, now):
    """Three submitted attempts: a pupil of the school (full marks), a teacher elsewhere (nothing), a citizen."""
    start = now - dt.timedelta(hours=2)
    pupil = make_person(region="TN-TPTN-01", category=Category.PUPIL, organisation=school)
    teacher = make_person(region="TN-DT-01", category=Category.TEACHER)
    citizen = make_person(region="TN-TPTN-02", category=Category.CITIZEN)
    client = {"ip_address": "198.51.100.1", "user_agent": PHONE_BROWSER}
    take_quiz(quiz_round, pupil, at=start, client=client)
    take_quiz(quiz_round, teacher, at=start + dt.timedelta(minutes=30), right=False)
    take_quiz(quiz_round, citizen, at=start + dt.timedelta(minutes=60))
    return {"pupil": pupil, "teacher": teacher, "citizen": citizen}


def listed(client, rnd, **query):
    page = client.get(reverse("insights_attempts", args=[rnd.pk]), query)
    assert page.status_code == 200
    return [attempt.user for attempt in page.context["page"].object_list]


def test_filters_narrow_the_list(client, organiser, quiz_round, field, school, regions, now):
    client.force_login(organiser)
    rnd = quiz_round.round
    assert len(listed(client, rnd)) == 3
    assert listed(client, rnd, unit=school.pk) == [field["pupil"]]
    assert set(listed(client, rnd, region=regions["TN-TPTN"].pk)) == {field["pupil"], field["citizen"]}
    assert listed(client, rnd, category=Category.TEACHER) == [field["teacher"]]
    assert listed(client, rnd, score_max="0") == [field["teacher"]]
    assert set(listed(client, rnd, score_min="1")) == {field["pupil"], field["citizen"]}
    local = (now - dt.timedelta(minutes=75)).astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert listed(client, rnd, started_from=local.strftime("%Y-%m-%dT%H:%M")) == [field["citizen"]]


def test_a_bad_filter_says_why_and_lists_everything(client, organiser, quiz_round, field):
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("insights_attempts", args=[quiz_round.round_id]), {"score_min": "5", "score_max": "1"})
    assert "The upper score must not be below the lower one." in page.content.decode()
    assert page.context["page"].paginator.count == 3


def test_the_list_is_paginated(client, organiser, quiz_round, field, monkeypatch):
    monkeypatch.setattr(views, "ATTEMPTS_PER_PAGE", 2)
    client.force_login(organiser)
    first = client.get(reverse("insights_attempts", args=[quiz_round.round_id]), {"category": ""})
    assert len(first.context["page"].object_list) == 2 and "page=2" in first.content.decode()
    second = client.get(reverse("insights_attempts", args=[quiz_round.round_id]), {"page": 2})
    assert len(second.context["page"].object_list) == 1


def test_the_detail_shows_answers_times_address_device_and_page_leaves(client, organiser, quiz_round, field):
    attempt = Attempt.objects.get(user=field["pupil"])
    AttemptItem.objects.filter(attempt=attempt, position=2).update(left_page=2)
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("insights_attempt", args=[attempt.pk]))
    html = page.content.decode()
    assert '<dd id="attempt-ip">198.51.100.1</dd>' in html
    assert "Redmi 9A" in html and '<dd id="attempt-left">2</dd>' in html
    rows = page.context["answers"]
    assert len(rows) == 5 and all(row.right for row in rows)
    assert all(row.seconds is not None for row in rows)
    assert "dichvucong.gov.vn".upper() in html  # the short text as typed


@pytest.mark.parametrize("who", ["participant", "other_organiser", "judge"])
def test_nobody_else_sees_attempts(client, who, request, quiz_round, field):
    attempt = Attempt.objects.get(user=field["pupil"])
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("insights_attempts", args=[quiz_round.round_id])).status_code == 404
    assert client.get(reverse("insights_attempt", args=[attempt.pk])).status_code == 404
    assert client.get(reverse("insights_suspicion", args=[quiz_round.round_id])).status_code == 404


# --- Suspicion report -----------------------------------------------------------------------------------


def test_identical_sheets_from_one_address_form_a_group(client, organiser, quiz_round, make_person, take_quiz, now):
    start = now - dt.timedelta(hours=1)
    room = {"ip_address": "192.0.2.10", "user_agent": PHONE_BROWSER}
    copier, source, honest, elsewhere = make_person(), make_person(), make_person(), make_person()
    take_quiz(quiz_round, source, at=start, client=room)
    take_quiz(quiz_round, copier, at=start + dt.timedelta(seconds=20), client=room)
    take_quiz(quiz_round, honest, at=start + dt.timedelta(minutes=10), client=room)  # same sheet, 10 minutes later
    take_quiz(quiz_round, elsewhere, at=start + dt.timedelta(seconds=5), client={**room, "ip_address": "192.0.2.99"})
    (group,) = selectors.suspicion_report(rnd=quiz_round.round)
    assert {row.attempt.user_id for row in group} == {source.pk, copier.pk}
    assert len(selectors.suspicion_report(rnd=quiz_round.round, window_s=900)[0]) == 3
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("insights_suspicion", args=[quiz_round.round_id]))
    assert page.context["groups"] == [group] and "192.0.2.10" in page.content.decode()
    refused = client.get(reverse("insights_suspicion", args=[quiz_round.round_id]), {"window": "-5"})
    assert refused.context["window"] == 60 and "errorlist" in refused.content.decode()
    scores = set(Attempt.objects.filter(quiz_round=quiz_round).values_list("score", flat=True))
    assert scores == {Decimal(5)}, "the report changes nothing"
