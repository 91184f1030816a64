"""The Content-Security-Policy in a real browser: pages load and work with no violation reported, and the
behaviours that used to be inline handlers (confirm before deleting, filter on change) run from static/js."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contests import services as contest_services
from contests.models import Event, Round
from quizzes import services as quiz_services
from quizzes.importing.base import ParsedChoice, ParsedQuestion

pytestmark = pytest.mark.e2e


def _question(text: str, topic: str) -> ParsedQuestion:
    choices = [ParsedChoice("Đúng", True), ParsedChoice("Sai", False)]
    return ParsedQuestion(where=text, type="true_false", text=text, topic=topic, difficulty=1, choices=choices)


def _watch(context) -> list[str]:
    """Every console message in which the browser reports a refused resource or inline code."""
    refused = []
    context.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    return refused


@pytest.fixture
def scene(make_organiser, make_open_event):
    organiser, organisation = make_organiser("csp@example.vn", organisation_name="Sở GD&ĐT", slug="so-gd")
    event = make_open_event(organisation=organisation, by=organiser, title="Cuộc thi an toàn số")
    bank = quiz_services.bank_create(organisation=organisation, title="Luyện tập CSP", is_public=True)
    quiz_services.questions_import(
        bank=bank,
        questions=[_question("Mật khẩu dài an toàn hơn.", "Mật khẩu"), _question("OTP là bí mật.", "Lừa đảo")],
    )
    from quizzes.review import questions_approve_as_system

    questions_approve_as_system(questions=bank.questions.all(), comment="test data")
    now = timezone.now().replace(second=0, microsecond=0)
    window = {"opens_at": now + dt.timedelta(days=1), "closes_at": now + dt.timedelta(days=8)}
    draft = contest_services.event_create(
        organisation=organisation, by=organiser, fields={"title": "Bản nháp", "kind": Event.Kind.CONTEST, **window}
    )
    contest_services.round_create(event=draft, fields={"title": "Vòng thử", "kind": "quiz", **window})
    return {"organiser": organiser, "event": event, "bank": bank, "draft": draft}


def test_pages_work_under_the_policy_without_a_violation(new_context, login, scene):
    context = new_context()
    refused = _watch(context)
    page = context.new_page()
    rnd = scene["event"].rounds.get()
    for path in (
        "/",
        scene["event"].get_absolute_url(),
        "/accounts/signup/",
        "/play/",
        "/play/?pin=000000",
        f"/rounds/{rnd.pk}/board/",
        f"/embed/rounds/{rnd.pk}/board/",
        f"/practice/{scene['bank'].slug}/",
    ):
        response = page.goto(path)
        assert response.status == 200, path
    # The practice filter sends itself when the topic changes (it was an inline onchange).
    with page.expect_navigation():
        page.select_option("#topic", "Lừa đảo")
    assert "topic=" in page.url

    login(page, scene["organiser"].email)
    page.goto(f"/organiser/banks/{scene['bank'].pk}/")
    with page.expect_navigation():
        page.select_option("#topic-filter", "Mật khẩu")
    assert "topic=" in page.url

    # Deleting a round asks first (it was an inline onsubmit): "cancel" keeps it, "OK" deletes it.
    draft_round = scene["draft"].rounds.get()
    page.goto(f"/organiser/events/{scene['draft'].pk}/")
    delete = page.locator(f"form[action='/organiser/rounds/{draft_round.pk}/delete/'] button")
    page.once("dialog", lambda dialog: dialog.dismiss())
    delete.click()
    page.wait_for_timeout(300)
    assert Round.objects.filter(pk=draft_round.pk).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        delete.click()
    expect(page.locator(f"form[action='/organiser/rounds/{draft_round.pk}/delete/']")).to_have_count(0)
    assert not Round.objects.filter(pk=draft_round.pk).exists()
    assert refused == []
