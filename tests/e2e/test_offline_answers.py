"""Weak networks on the timed attempt page: an answer given while the phone is offline is kept on the
device, the question says so, and it reaches the server when the network returns or after a reload.
Nothing answered offline is lost."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

QUESTIONS = 4


@pytest.fixture
def quiz_round(make_organiser, make_open_event, regions):
    from quizzes import services
    from quizzes.importing.base import ParsedChoice, ParsedQuestion
    from quizzes.review import questions_approve_as_system

    organiser, organisation = make_organiser("btc@example.vn", organisation_name="Sở GD&ĐT", slug="so-gddt")
    bank = services.bank_create(organisation=organisation, title="Ngân hàng")
    questions = [
        ParsedQuestion(
            where=str(i),
            type="single",
            text=f"Câu {i}?",
            choices=[ParsedChoice("Đúng", True), ParsedChoice("Sai", False)],
        )
        for i in range(QUESTIONS)
    ]
    services.questions_import(bank=bank, questions=questions)
    questions_approve_as_system(questions=bank.questions.all(), comment="Đề kiểm thử")
    ids = list(bank.questions.values_list("pk", flat=True))
    quiz = services.quiz_create(organisation=organisation, bank=bank, title="Đề", question_ids=ids)
    event = make_open_event(organisation=organisation, by=organiser, title="Cuộc thi mạng yếu")
    return services.quiz_round_configure(rnd=event.rounds.get(), quiz=quiz, settings={"time_limit_s": 600})


@pytest.fixture
def pupil(make_user, regions):
    from contests import services

    user = make_user("hoc.sinh@example.vn")
    services.profile_update(
        profile=services.profile_get_or_create(user=user),
        data={
            "full_name": "Phạm Thị Mạng",
            "date_of_birth": dt.date(1995, 5, 1),
            "phone": "+84912345777",
            "region": regions["TN-DT-01"],
            "category": "citizen",
        },
        data_consent=True,
        guardian_consent=False,
    )
    return user


def saved_positions(user) -> set[int]:
    from quizzes.models import AttemptItem

    return set(AttemptItem.objects.filter(attempt__user=user).exclude(response=None).values_list("position", flat=True))


def start(page, login, quiz_round, user):
    login(page, user.email)
    page.goto(f"/rounds/{quiz_round.round_id}/quiz/")
    with page.expect_navigation():
        page.click("#start-attempt")
    expect(page).to_have_url(re.compile(r"/attempts/\d+/$"))


def answer(page, position: int):
    page.locator(f'.question-card[data-position="{position}"] input[type=radio]').nth(1).check()


def state_of(page, position: int):
    return page.locator(f'.question-card[data-position="{position}"] .answer-state')


def test_answers_given_offline_are_sent_when_the_network_returns(new_context, login, quiz_round, pupil):
    context = new_context()
    page = context.new_page()
    start(page, login, quiz_round, pupil)
    first, second, third = (
        int(p)
        for p in page.locator(".question-card").evaluate_all("cards => cards.slice(0, 3).map(c => c.dataset.position)")
    )
    answer(page, first)
    expect(state_of(page, first)).to_have_attribute("data-state", "saved")
    assert saved_positions(pupil) == {first}

    context.set_offline(True)
    answer(page, second)
    answer(page, third)
    expect(state_of(page, second)).to_have_attribute("data-state", "offline")
    expect(state_of(page, third)).to_have_attribute("data-state", "offline")
    expect(state_of(page, second)).not_to_have_text("")  # the template's translated words, not a code
    expect(page.locator("#save-status")).to_have_attribute("data-state", re.compile("offline|failed"))
    assert saved_positions(pupil) == {first}, "nothing could reach the server"

    context.set_offline(False)  # the `online` event resends at once
    expect(state_of(page, second)).to_have_attribute("data-state", "saved")
    expect(state_of(page, third)).to_have_attribute("data-state", "saved")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    assert saved_positions(pupil) == {first, second, third}
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('attempt-pending:'))") == []


def test_an_answer_kept_on_the_phone_survives_a_reload_and_is_resent(new_context, login, quiz_round, pupil):
    context = new_context()
    page = context.new_page()
    start(page, login, quiz_round, pupil)
    position = int(page.locator(".question-card").first.get_attribute("data-position"))

    context.set_offline(True)
    answer(page, position)
    expect(state_of(page, position)).to_have_attribute("data-state", "offline")
    kept = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('attempt-pending:'))")
    assert len(kept) == 1, "the unacknowledged answer is kept on the device, keyed by attempt"

    # The network comes back but the answer's request is lost, and the phone reloads the page.
    context.route(re.compile(r"/attempts/\d+/answer/$"), lambda route: route.abort())
    context.set_offline(False)
    page.reload()
    expect(state_of(page, position)).to_have_attribute("data-state", "offline")
    assert page.locator(f'.question-card[data-position="{position}"] input:checked').count() == 1, (
        "the kept answer is back on the page"
    )
    assert saved_positions(pupil) == set()

    context.unroute(re.compile(r"/attempts/\d+/answer/$"))
    page.reload()
    expect(state_of(page, position)).to_have_attribute("data-state", "saved")
    assert saved_positions(pupil) == {position}, "the answer given offline reached the database"
    from quizzes.models import AttemptItem

    item = AttemptItem.objects.get(attempt__user=pupil, position=position)
    assert item.response == item.choice_order[1], "the answer chosen offline, not another"
