"""Journey 2: an organiser creates an event, adds a round and opens it; the public sees it; others cannot manage it."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contests.models import Event, EventTransition, Round

pytestmark = pytest.mark.e2e

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what a datetime-local input takes


def test_organiser_creates_and_opens_an_event_that_the_public_then_sees(new_context, submit, login, make_organiser):
    organiser, organisation = make_organiser(
        "to.chuc@sogddt.example.vn", organisation_name="Sở Giáo dục và Đào tạo Thái Nguyên", slug="so-gddt"
    )
    stranger, _ = make_organiser("thu.vien@example.vn", organisation_name="Thư viện tỉnh Thái Nguyên", slug="thu-vien")
    title, round_title = "Cuộc thi Công dân số 2025 (E2E)", "Vòng sơ khảo trực tuyến"
    opens = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    closes = opens + dt.timedelta(days=7)

    page = new_context().new_page()
    login(page, organiser.email)
    assert page.goto("/organiser/").status == 200

    # Create the event: it starts as a draft of the organiser's organisation.
    with page.expect_navigation():
        page.click("#main a[href='/organiser/events/new/']")
    page.fill("input[name=title]", title)
    page.select_option("select[name=kind]", value=Event.Kind.CONTEST)
    page.fill("input[name=summary]", "Tìm hiểu kỹ năng số cho mọi người dân")
    page.fill("input[name=opens_at]", opens.strftime(LOCAL_MINUTE))
    page.fill("input[name=closes_at]", closes.strftime(LOCAL_MINUTE))
    submit(page, "#main form:has(input[name=title])")
    expect(page).to_have_url(re.compile(r"/organiser/events/\d+/$"))
    event = Event.objects.get(title=title)
    assert page.url.endswith(f"/organiser/events/{event.pk}/")
    assert (event.organisation, event.created_by, event.state) == (organisation, organiser, Event.State.DRAFT)
    assert (event.opens_at, event.closes_at) == (opens, closes)
    assert event.visibility == Event.Visibility.PUBLIC
    manage_url = f"/organiser/events/{event.pk}/"
    open_button = page.locator(
        f"form[action='{manage_url}state/']:has(input[name=to_state][value={Event.State.OPEN}]) button[type=submit]"
    )
    expect(open_button).to_have_count(1)
    expect(page.locator(f"#problems-{Event.State.OPEN}")).to_be_visible()  # no round yet

    # Add a round: its window starts as the event's.
    with page.expect_navigation():
        page.click(f"#main a[href='{manage_url}rounds/new/']")
    expect(page.locator("input[name=opens_at]")).to_have_value(opens.strftime(LOCAL_MINUTE))
    expect(page.locator("input[name=closes_at]")).to_have_value(closes.strftime(LOCAL_MINUTE))
    page.fill("input[name=title]", round_title)
    page.select_option("select[name=kind]", value=Round.Kind.QUIZ)
    submit(page, "#main form:has(input[name=title])")
    expect(page).to_have_url(re.compile(rf"{manage_url}$"))
    rnd = Round.objects.get(event=event)
    assert (rnd.title, rnd.kind, rnd.position) == (round_title, Round.Kind.QUIZ, 1)
    assert (rnd.opens_at, rnd.closes_at) == (opens, closes)
    expect(page.locator(f"#main a[href='/organiser/rounds/{rnd.pk}/edit/']")).to_have_count(1)
    expect(page.locator(f"#problems-{Event.State.OPEN}")).to_have_count(0)

    # Open it.
    with page.expect_navigation():
        open_button.click()
    expect(page).to_have_url(re.compile(rf"{manage_url}$"))
    event.refresh_from_db()
    assert event.state == Event.State.OPEN
    transition = EventTransition.objects.get(event=event)
    assert (transition.from_state, transition.to_state) == (Event.State.DRAFT, Event.State.OPEN)
    assert transition.by == organiser
    expect(open_button).to_have_count(0)

    # An anonymous visitor finds it on the home page, and its round on its page.
    visitor = new_context().new_page()
    visitor.goto("/")
    event_link = visitor.locator(f"#main a[href='/events/{event.slug}/']")
    expect(event_link).to_have_text(title)
    with visitor.expect_navigation():
        event_link.click()
    expect(visitor).to_have_url(re.compile(rf"/events/{event.slug}/$"))
    expect(visitor.locator("#main h1")).to_have_text(title)
    expect(visitor.locator("#main table tbody tr")).to_have_count(1)
    expect(visitor.locator("#main table tbody tr")).to_contain_text(round_title)

    # An organiser of another organisation can use the organiser area, but this event does not exist for them.
    other = new_context().new_page()
    login(other, stranger.email)
    assert other.goto("/organiser/").status == 200
    expect(other.locator(f"a[href='{manage_url}']")).to_have_count(0)
    assert other.goto(manage_url).status == 404
    assert other.goto(f"{manage_url}edit/").status == 404
    assert other.goto(f"/organiser/rounds/{rnd.pk}/edit/").status == 404
    rnd.refresh_from_db()
    assert rnd.title == round_title
