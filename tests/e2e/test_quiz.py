"""Issue 3's journey: a participant takes the demo quiz round, reloads mid-way without losing answers,
submits and sees the result; and a visitor practises a public bank."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_quiz_round(make_organiser, make_open_event, regions):
    from quizzes import services
    from quizzes.demo import load_contest_bank, load_demo_bank

    organiser, organisation = make_organiser("btc@example.vn", organisation_name="Sở GD&ĐT", slug="so-gddt")
    load_demo_bank(organisation)  # the public practice bank, as the demo has it
    bank = load_contest_bank(organisation)  # the contest draws from its private bank
    topics = sorted(set(bank.questions.values_list("topic", flat=True)))
    quiz = services.quiz_create(
        organisation=organisation, bank=bank, title="Đề tuần", rules=[(topic, None, 1) for topic in topics]
    )
    event = make_open_event(organisation=organisation, by=organiser, title="Cuộc thi Công dân số (E2E)")
    return services.quiz_round_configure(
        rnd=event.rounds.get(), quiz=quiz, settings={"time_limit_s": 600, "feedback": "immediate"}
    )


@pytest.fixture
def citizen(make_user, regions):
    import datetime as dt

    from contests import services

    user = make_user("nguoi.dan@example.vn")
    services.profile_update(
        profile=services.profile_get_or_create(user=user),
        data={
            "full_name": "Lê Văn Dân",
            "date_of_birth": dt.date(1990, 5, 1),
            "phone": "+84912345001",
            "region": regions["TN-DT-01"],
            "category": "citizen",
        },
        data_consent=True,
        guardian_consent=False,
    )
    return user


def answer_card(card):
    kind = card.get_attribute("data-type")
    if kind in ("single", "true_false"):
        card.locator("input[type=radio]").first.check()
    elif kind == "multiple":
        card.locator("input[type=checkbox]").first.check()
    elif kind == "short_text":
        card.locator("input[type=text]").fill("VNeID")
        card.locator("input[type=text]").blur()
    else:
        return False  # ordering keeps its shown order: not an explicit answer
    return True


def test_participant_takes_the_quiz_reloads_and_submits(new_context, login, demo_quiz_round, citizen):
    from quizzes.models import Attempt

    page = new_context().new_page()
    login(page, citizen.email)
    page.goto(f"/rounds/{demo_quiz_round.round_id}/quiz/")
    with page.expect_navigation():
        page.click("#start-attempt")
    expect(page).to_have_url(re.compile(r"/attempts/\d+/$"))
    cards = page.locator(".question-card")
    assert cards.count() == 8
    answered = [i for i in range(4) if answer_card(cards.nth(i))]
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved", timeout=10_000)

    attempt = Attempt.objects.get(user=citizen)
    assert attempt.items.exclude(response=None).count() == len(answered), "every autosave reached the database"

    page.reload()
    checked = page.locator(".question-card input:checked").count()
    texts = [
        v for v in page.locator(".question-card input[type=text]").evaluate_all("els => els.map(e => e.value)") if v
    ]
    assert checked + len(texts) == len(answered), "the reload shows every saved answer"
    assert page.locator(".question-nav a.answered").count() == len(answered)

    for i in range(4, 8):
        answer_card(cards.nth(i))
    with page.expect_navigation():
        page.click("#submit-attempt")
    expect(page).to_have_url(re.compile(r"/attempts/\d+/result/$"))
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.score is not None
    expect(page.locator("#score")).to_be_visible()
    assert page.locator("article.question-card").count() == 8, "immediate feedback shows every question"


def test_visitor_practises_a_public_bank(new_context, demo_quiz_round):
    page = new_context().new_page()
    page.goto("/practice/")
    with page.expect_navigation():
        page.click("#main .event-card a")
    card = page.locator(".question-card")
    if not answer_card(card):
        pass  # an ordering question can be checked as shown
    with page.expect_navigation():
        page.click("#check-answer")
    expect(page.locator("#feedback")).to_be_visible()
    with page.expect_navigation():
        page.click("#next-question")
    expect(page.locator(".question-card")).to_be_visible()
