"""Issue 6's journey: a judge opens their blind queue and scores two entries with the keyboard only — play and
pause (K), seek (L), move on without saving (N), go to the marks (M), type, Tab, Enter to submit and land on
the next entry — and the scores are stored."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

AUTHORS = [("Đặng Thị Giấuten", "+84912345101"), ("Vũ Văn Ẩndanh", "+84912345102")]


@pytest.fixture
def judged_round(browser, make_organiser, make_user, regions, tmp_path):
    """A blind reading round with a rubric (M = 50), two processed audio entries, one judge with both."""
    from django.core.files import File
    from django.utils import timezone

    from contests import services as contest_services
    from contests.models import Event
    from judging import services as judging
    from submissions import services, synth

    organiser, organisation = make_organiser("btc.chamthi@example.vn", organisation_name="Sở GD", slug="so-gd")
    now = timezone.now().replace(second=0, microsecond=0)
    window = {"opens_at": now - dt.timedelta(hours=1), "closes_at": now + dt.timedelta(days=7)}
    event = contest_services.event_create(
        organisation=organisation, by=organiser, fields={"title": "Cuộc thi đọc (chấm)", "kind": "contest", **window}
    )
    rnd = contest_services.round_create(event=event, fields={"title": "Đọc sách", "kind": "reading", **window})
    reading_round = services.reading_round_configure(
        rnd=rnd, settings={"min_duration_s": 1, "max_duration_s": 30, "max_size_mb": 20, "judges_per_entry": 1}
    )
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=organiser)
    judging.rubric_save(
        reading_round=reading_round,
        items=[
            {"name": "Phát âm", "description": "Rõ, đúng.", "max_points": 10, "weight": 3},
            {"name": "Diễn cảm", "description": "Ngữ điệu.", "max_points": 10, "weight": 2},
        ],
    )
    recording = synth.audio_file(tmp_path / "doc.webm", fmt="webm", seconds=3)
    for index, (name, phone) in enumerate(AUTHORS):
        author = make_user(f"tacgia{index}@example.vn")
        contest_services.profile_update(
            profile=contest_services.profile_get_or_create(user=author),
            data={
                "full_name": name,
                "date_of_birth": dt.date(1990, 1, 1),
                "phone": phone,
                "region": regions["TN-DT-01"],
                "category": "citizen",
            },
            data_consent=True,
            guardian_consent=False,
        )
        with open(recording, "rb") as handle:
            entry = services.entry_create(
                reading_round=reading_round,
                user=author,
                fields={"title": f"Bài đọc số {index + 1}", "note": "", "consent_publish": False},
                upload=File(handle, name="doc.webm"),
                source="uploaded",
            )
        services.version_process(version_id=entry.versions.get().pk)
    judge = make_user("giam.khao@example.vn")
    judging.judge_invite(reading_round=reading_round, email=judge.email, by=organiser)
    judging.assignments_fill(reading_round=reading_round)
    return reading_round


def _score_with_keyboard(page, first: str, second: str) -> None:
    page.keyboard.press("m")  # to the first mark
    page.keyboard.type(first)
    page.keyboard.press("Tab")
    page.keyboard.type(second)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submit, then the next entry


def test_a_judge_scores_two_entries_with_the_keyboard(new_context, login, judged_round):
    from judging.models import JudgeScore

    page = new_context().new_page()
    login(page, "giam.khao@example.vn")
    page.goto(f"/judging/rounds/{judged_round.round_id}/")
    html = page.content()
    for name, _phone in AUTHORS:
        assert name not in html, "blind judging: no author's name in the queue"
    with page.expect_navigation():  # waits for "load": the page's script listens to the keyboard by then
        page.locator("#start-next").click()
    expect(page).to_have_url(re.compile(r"/judging/assignments/\d+/$"))
    first_url = page.url
    for name, _phone in AUTHORS:
        assert name not in page.content()

    page.keyboard.press("k")
    page.wait_for_function("() => !document.querySelector('#judging audio').paused")
    page.keyboard.press("k")
    page.wait_for_function("() => document.querySelector('#judging audio').paused")
    page.keyboard.press("l")
    assert page.locator("#judging audio").evaluate("player => player.currentTime") > 0

    with page.expect_navigation():
        page.keyboard.press("n")  # next entry, nothing typed: no question asked
    second_url = page.url
    assert second_url != first_url

    page.keyboard.press("m")
    page.keyboard.type("6")
    page.keyboard.press("Tab")
    page.keyboard.type("6")
    expect(page.locator("#judging-total")).to_have_text("30")  # 3 × 6 + 2 × 6, as typed
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == first_url, "after the second entry, the first one (still to score) comes next"

    _score_with_keyboard(page, "8", "7")
    expect(page).to_have_url(re.compile(rf"/judging/rounds/{judged_round.round_id}/$"))

    totals = sorted(JudgeScore.objects.filter(submitted_at__isnull=False).values_list("total", flat=True))
    assert totals == [Decimal("30.00"), Decimal("38.00")]
