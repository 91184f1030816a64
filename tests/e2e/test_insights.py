"""Issue 16's organiser insight in a browser: a participant takes the quiz and switches away from the page
(the counter rides on the next autosave), then the organiser reads the dashboard's charts, downloads the
item analysis as Excel and opens the attempt with its address, device and page leaves."""

import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.e2e.test_quiz import answer_card, citizen, demo_quiz_round  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e

HIDE_THE_PAGE = """() => {
  Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
  Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def take_the_quiz_leaving_twice(page, round_id: int) -> None:
    page.goto(f"/rounds/{round_id}/quiz/")
    with page.expect_navigation():
        page.click("#start-attempt")
    expect(page).to_have_url(re.compile(r"/attempts/\d+/$"))
    page.evaluate(HIDE_THE_PAGE)  # as if the participant switched to another app and back, twice
    page.evaluate(HIDE_THE_PAGE)
    cards = page.locator(".question-card")
    for index in range(cards.count()):
        answer_card(cards.nth(index))
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved", timeout=10_000)
    with page.expect_navigation():
        page.click("#submit-attempt")


def test_organiser_insight_journey(new_context, login, demo_quiz_round, citizen):  # noqa: F811 - fixtures
    from quizzes.models import Attempt

    participant = new_context(user_agent="Mozilla/5.0 (Linux; Android 10; E2E phone)").new_page()
    login(participant, citizen.email)
    take_the_quiz_leaving_twice(participant, demo_quiz_round.round_id)
    attempt = Attempt.objects.get(user=citizen)
    assert attempt.status == "submitted" and attempt.ip_address == "127.0.0.1"
    assert max(attempt.items.values_list("left_page", flat=True)) == 2, "the counter reached the server"

    page = new_context(accept_downloads=True).new_page()
    login(page, "btc@example.vn")
    page.goto(f"/organiser/events/{demo_quiz_round.round.event_id}/")
    with page.expect_navigation():
        page.click(f"a[href='/organiser/events/{demo_quiz_round.round.event_id}/insights/']")
    charts = page.locator("#charts svg[role=img]")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 4  # participation, districts, units, categories, scores
    first_chart = page.locator("#charts figure").first
    first_chart.locator("details summary").click()
    expect(first_chart.locator("table")).to_be_visible()

    page.goto(f"/organiser/rounds/{demo_quiz_round.round_id}/insights/items/")
    assert page.locator("#item-table tbody tr").count() == 8
    with page.expect_download() as download:
        page.click("#export-items")
    data = download.value.path().read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    numbered = [row for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert len(numbered) == 8 and all(row[3] == 1 for row in numbered)

    page.goto(f"/organiser/rounds/{demo_quiz_round.round_id}/insights/attempts/")
    with page.expect_navigation():
        page.click("#attempt-table a")
    expect(page.locator("#attempt-ip")).to_have_text("127.0.0.1")
    expect(page.locator("#attempt-device")).to_contain_text("E2E phone")
    expect(page.locator("#attempt-left")).to_have_text("2")
