"""The item analysis of a real quiz round: figures from the stored answers, the page, the Excel export and
who may see them."""

import datetime as dt
import io

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from insights import selectors
from quizzes import services as quizzes

from .conftest import right_answers

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def answered(quiz_round, make_person, take_quiz, now):
    """Three participants: all right; all right but the short text (a formula typed as answer); nothing."""
    start = now - dt.timedelta(hours=1)
    best, typist, blank = make_person(), make_person(), make_person()
    take_quiz(quiz_round, best, at=start)
    attempt = quizzes.attempt_start(quiz_round=quiz_round, user=typist, now=start)
    answers = right_answers(attempt)
    short = attempt.items.get(question__type="short_text").position
    answers[short] = FORMULA
    for step, (position, response) in enumerate(sorted(answers.items()), 1):
        quizzes.attempt_answer(
            attempt_id=attempt.pk,
            user=typist,
            position=position,
            response=response,
            now=start + dt.timedelta(seconds=10 * step),
        )
    quizzes.attempt_submit(attempt_id=attempt.pk, user=typist, now=start + dt.timedelta(minutes=2))
    take_quiz(quiz_round, blank, at=start, right=False)
    return best, typist, blank


def test_statistics_from_the_stored_answers(quiz_round, answered, django_assert_num_queries):
    with django_assert_num_queries(5):
        analysis = selectors.item_analysis_for(rnd=quiz_round.round)
    assert analysis.summary.attempts == 3
    rows = {row.question.type: row for row in analysis.rows}
    assert len(rows) == 5
    short = rows["short_text"]
    assert short.stats.facility == pytest.approx(1 / 3)
    assert short.wrong_answer == FORMULA.casefold() and short.stats.wrong_count == 1
    single = rows["single"]
    assert single.stats.facility == pytest.approx(2 / 3) and single.stats.discrimination > 0
    assert single.stats.median_seconds is not None


def test_only_first_attempts_by_default(quiz_round, answered, take_quiz, now):
    best = answered[0]
    take_quiz(quiz_round, best, at=now - dt.timedelta(minutes=30), right=False)  # a second, worse attempt
    assert selectors.item_analysis_for(rnd=quiz_round.round).summary.attempts == 3
    assert selectors.item_analysis_for(rnd=quiz_round.round, which="all").summary.attempts == 4


def test_the_page_shows_each_question_with_its_flags(client, organiser, quiz_round, answered):
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("insights_items", args=[quiz_round.round_id])).content.decode()
    assert page.count("data-question=") == 5
    assert "Discrimination index" in page and 'id="attempts-analysed">3<' in page


def test_the_excel_export_is_safe_to_open(client, organiser, quiz_round, answered):
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    reply = client.get(reverse("insights_items_xlsx", args=[quiz_round.round_id]))
    assert reply.status_code == 200 and "attachment" in reply["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(reply.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(index for index, row in enumerate(rows) if row and row[0] == "No.")
    body = rows[header + 1 :]
    assert len(body) == 5
    wrong_answers = [row[8] for row in body if row[8]]
    assert "'" + FORMULA.casefold() in wrong_answers, "typed text never runs as a formula"
    assert all(isinstance(row[4], (int, float)) for row in body)


@pytest.mark.parametrize("who", ["participant", "other_organiser", "judge"])
def test_nobody_else_sees_the_item_analysis(client, who, request, quiz_round):
    client.force_login(request.getfixturevalue(who))
    for name in ("insights_items", "insights_items_xlsx"):
        assert client.get(reverse(name, args=[quiz_round.round_id])).status_code == 404


def test_an_item_analysis_needs_a_quiz_round(client, organiser, quiz_round):
    from contests import services as contest_services

    rnd = quiz_round.round
    reading = contest_services.round_create(
        event=rnd.event,
        fields={"title": "Đọc", "kind": "reading", "opens_at": rnd.opens_at, "closes_at": rnd.closes_at},
    )
    client.force_login(organiser)
    assert client.get(reverse("insights_items", args=[reading.pk])).status_code == 404
