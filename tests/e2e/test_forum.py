"""Issue 8's journey: two participants read the same thread; one replies (by keyboard) and the reply appears
in the other's page without a reload, on a 360 px phone.

pytest-django's live server speaks WSGI only, so this test starts daphne (HTTP + WebSocket) on a free port
against its own SQLite file, prepared with ``migrate`` and a setup script run by ``manage.py shell``.
People are signed in by session cookies made in that script.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.servers import daphne, prepare_database, project_env

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 360, "height": 740}
TIMEZONE = "Asia/Ho_Chi_Minh"

SETUP = """
import datetime as dt, json
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from tests.sessions import signed_in_session as cookie
from django.core.management import call_command
from django.utils import timezone
from contests import services as contest_services
from contests.models import Event, Organisation, Region
from forums import services

call_command("load_regions", verbosity=0)
now = timezone.now()
library = Organisation.objects.create(name="Thư viện tỉnh", slug="thu-vien")
librarian = get_user_model().objects.create_user("library", "library@example.vn", "x")
contest_services.membership_add(user=librarian, organisation=library)

def person(email, phone, name):
    user = get_user_model().objects.create_user(email.split("@")[0], email, "x")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    contest_services.profile_update(
        profile=contest_services.profile_get_or_create(user=user),
        data={"full_name": name, "date_of_birth": dt.date(1990, 1, 1), "phone": phone,
              "region": Region.objects.get(code="TN-DT-01"), "category": "citizen", "public_name": "full"},
        data_consent=True, guardian_consent=False)
    return user

an = person("an@example.vn", "+84912000101", "Phạm Văn An")
binh = person("binh@example.vn", "+84912000102", "Hoàng Thị Bình")
event = contest_services.event_create(organisation=library, by=librarian, fields={
    "title": "Diễn đàn Tự học", "kind": Event.Kind.FORUM,
    "opens_at": now - dt.timedelta(hours=1), "closes_at": now + dt.timedelta(days=7)})
services.points_round(event=event)
contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=librarian)
topic = services.topic_create(event=event, author=an, title="Tự học bằng điện thoại?",
                              body="Các bạn có mẹo gì không?", now=now - dt.timedelta(minutes=5))

print(json.dumps({"topic": topic.pk, "an": cookie(an), "binh": cookie(binh)}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """daphne on a free port, with its own database; yields the base URL and the setup's data."""
    folder = tmp_path_factory.mktemp("forum-e2e")
    env = project_env(folder)
    data = prepare_database(env, SETUP)
    with daphne(env, folder) as (base,):
        yield {"base": base, **data}


def page_as(browser, server, person: str, **options):
    context = browser.new_context(base_url=server["base"], timezone_id=TIMEZONE, **options)
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": server[person], "url": server["base"]}])
    return context, context.new_page()


def test_a_reply_appears_live_in_a_second_readers_page(browser, server):
    topic_url = f"/forum/topics/{server['topic']}/"
    reader_context, reader = page_as(browser, server, "an", viewport=PHONE, is_mobile=True, has_touch=True)
    writer_context, writer = page_as(browser, server, "binh")
    try:
        reader.goto(topic_url)
        expect(reader.locator("#posts")).to_have_attribute("data-connected", "true")
        reader.evaluate("window.notReloaded = true")
        assert reader.locator("article.forum-post").count() == 1

        writer.goto(topic_url)
        writer.locator("#reply-body").focus()
        writer.keyboard.type("Mình học 20 phút mỗi tối, tắt thông báo. **Hiệu quả lắm!**")
        writer.locator("#send-reply").focus()
        with writer.expect_navigation():
            writer.keyboard.press("Enter")
        assert "#post-" in writer.url
        post_id = writer.url.rsplit("#post-", 1)[1]

        arrived = reader.locator(f"#post-{post_id}")
        expect(arrived).to_be_visible()
        expect(arrived.locator(".post-body strong")).to_have_text("Hiệu quả lắm!")
        expect(reader.locator("#live-status")).to_contain_text("Hoàng Thị Bình")
        assert reader.evaluate("window.notReloaded") is True, "the reply came in without a reload"
        assert reader.locator("article.forum-post").count() == 2
        width = reader.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the thread is {width}px wide on a {PHONE['width']}px phone"

        # The reader thanks the writer by keyboard; the writer's page updates the count live.
        expect(writer.locator("#posts")).to_have_attribute("data-connected", "true")
        thanks = reader.locator(f"#post-{post_id} button[value=thanks]")
        thanks.focus()
        with reader.expect_navigation():
            reader.keyboard.press("Enter")
        expect(reader.locator(f"#post-{post_id} button[value=thanks]")).to_have_attribute("aria-pressed", "true")
        expect(writer.locator(f"#post-{post_id} .reaction-count").nth(1)).to_contain_text("1")
    finally:
        reader_context.close()
        writer_context.close()
