"""Journey 3: Vietnamese by default, even for an English browser; the switch in the header changes it and back."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SWITCH = "header form[action='/i18n/setlang/'] button[name=language][value={}]"


def switch_language(page, code: str) -> None:
    with page.expect_navigation():
        page.click(SWITCH.format(code))


def language_cookie(page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == "django_language"), None)


def test_language_switch_between_vietnamese_and_english(new_context, live_server):
    page = new_context(locale="en-US").new_page()  # a phone set to English still gets Vietnamese
    html = page.locator("html")

    page.goto("/")
    expect(html).to_have_attribute("lang", "vi")
    expect(page.locator(SWITCH.format("vi"))).to_have_count(0)

    switch_language(page, "en")
    assert page.url == f"{live_server.url}/"  # back where the visitor was
    expect(html).to_have_attribute("lang", "en")
    assert language_cookie(page) == "en"
    page.goto("/accounts/login/")  # the choice holds on every page
    expect(html).to_have_attribute("lang", "en")

    switch_language(page, "vi")
    assert page.url == f"{live_server.url}/accounts/login/"
    expect(html).to_have_attribute("lang", "vi")
    assert language_cookie(page) == "vi"
    page.goto("/")
    expect(html).to_have_attribute("lang", "vi")
