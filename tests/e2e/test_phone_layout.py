"""Journey 4: at a small phone's width (360 px) nothing scrolls sideways and the navigation stays reachable."""

import pytest
from playwright.sync_api import expect

from contests.models import Event

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 360, 740


@pytest.fixture
def phone(new_context):
    return new_context(viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, has_touch=True).new_page()


def assert_fits_the_screen(page) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= WIDTH, f"{page.url} is {scroll_width}px wide on a {WIDTH}px screen"


def assert_nav_visible(page, selectors: list[str]) -> None:
    for selector in selectors:
        item = page.locator(f"header.site-header {selector}").first
        expect(item).to_be_visible()
        box = item.bounding_box()
        assert box is not None, f"{selector} has no box"
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, f"{selector} is off screen: {box}"


def test_home_and_profile_fit_a_360px_phone(phone, login, make_organiser, make_open_event, regions):
    user, organisation = make_organiser(
        "can.bo@example.vn",
        organisation_name="Trung tâm Giáo dục nghề nghiệp – Giáo dục thường xuyên huyện Phú Lương",
        slug="ttgdnn-phu-luong",
    )
    titles = [
        "Cuộc thi trực tuyến “Tìm hiểu kỹ năng công dân số” dành cho học sinh trung học cơ sở năm 2025",
        "Sân chơi Rung chuông vàng: An toàn thông tin trên không gian mạng",
        "Diễn đàn đọc sách: Xây dựng năng lực tự học trong kỷ nguyên số",
    ]
    kinds = [Event.Kind.CONTEST, Event.Kind.PLAYGROUND, Event.Kind.FORUM]
    for title, kind in zip(titles, kinds, strict=True):
        make_open_event(organisation=organisation, by=user, title=title, kind=kind, summary=title)

    phone.goto("/")
    for title in titles:
        expect(phone.locator("#main").get_by_text(title, exact=True).first).to_be_visible()
    assert_fits_the_screen(phone)
    assert_nav_visible(
        phone,
        ["a[href='/']", "a[href='/accounts/login/']", "a[href='/accounts/signup/']", "button[name=language]"],
    )

    login(phone, user.email)
    phone.goto("/profile/")
    expect(phone.locator("#id_region")).to_be_visible()
    assert_fits_the_screen(phone)
    assert_nav_visible(
        phone,
        [
            "a[href='/']",
            "a[href='/organiser/']",
            "a[href='/profile/']",
            "form[action='/accounts/logout/'] button",
            "button[name=language]",
        ],
    )
