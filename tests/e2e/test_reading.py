"""Issue 5's journey: a participant records a few seconds in the page with Chromium's fake microphone and
camera, listens back, sends it with a progress bar; the job runs (the real worker, one job) and the page
shows the entry ready to play."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

FAKE_MEDIA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
TIMEZONE = "Asia/Ho_Chi_Minh"
RECORD_MS = 3500


def _e2e_conftest(config):
    """The e2e conftest module as pytest loaded it: its Chromium path and flags are the ones to reuse."""
    suffix = os.path.join("e2e", "conftest.py")
    return next(p for p in config.pluginmanager.get_plugins() if str(getattr(p, "__file__", "")).endswith(suffix))


@pytest.fixture(scope="module")
def media_browser(browser, request):
    """A second Chromium of the session's Playwright, with a fake microphone and camera that need no prompt."""
    conftest = _e2e_conftest(request.config)
    launched = browser.browser_type.launch(
        executable_path=str(conftest.CHROMIUM), args=[*conftest.CHROMIUM_ARGS, *FAKE_MEDIA]
    )
    yield launched
    launched.close()


@pytest.fixture
def media_page(media_browser, live_server):
    context = media_browser.new_context(base_url=live_server.url, timezone_id=TIMEZONE)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def reading_round(make_organiser, regions):
    from django.utils import timezone

    from contests import services as contest_services
    from contests.models import Event
    from submissions import services

    organiser, organisation = make_organiser("btc.doc@example.vn", organisation_name="Thư viện tỉnh", slug="tv")
    now = timezone.now().replace(second=0, microsecond=0)
    window = {"opens_at": now - dt.timedelta(hours=1), "closes_at": now + dt.timedelta(days=7)}
    event = contest_services.event_create(
        organisation=organisation, by=organiser, fields={"title": "Cuộc thi đọc (E2E)", "kind": "contest", **window}
    )
    rnd = contest_services.round_create(event=event, fields={"title": "Đọc sách", "kind": "reading", **window})
    reading_round = services.reading_round_configure(
        rnd=rnd,
        settings={"min_duration_s": 2, "max_duration_s": 30, "max_size_mb": 20, "min_video_lines": 120},
    )
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=organiser)
    return reading_round


@pytest.fixture
def citizen(make_user, regions):
    from contests import services

    user = make_user("doc.gia@example.vn")
    services.profile_update(
        profile=services.profile_get_or_create(user=user),
        data={
            "full_name": "Trần Thị Đọc",
            "date_of_birth": dt.date(1992, 3, 4),
            "phone": "+84912345002",
            "region": regions["TN-DT-01"],
            "category": "citizen",
        },
        data_consent=True,
        guardian_consent=False,
    )
    return user


def _run_one_job():
    from django.core.management import call_command

    call_command("db_worker", "--batch", "--max-tasks", "1", "--no-startup-delay", verbosity=0)


@pytest.mark.parametrize("kind", ["audio", "video"])
def test_participant_records_in_the_browser_and_the_entry_becomes_ready(
    media_page, login, reading_round, citizen, kind
):
    from submissions.models import Entry

    page = media_page
    login(page, citizen.email)
    page.goto(f"/rounds/{reading_round.round_id}/reading/")
    expect(page.locator("#recorder")).to_be_visible()

    page.click(f"#record-{kind}")
    expect(page.locator("#stop-recording")).to_be_visible()
    if kind == "video":
        expect(page.locator("#rec-preview")).to_be_visible()
    page.wait_for_timeout(RECORD_MS)
    assert page.locator("#rec-level").evaluate("meter => meter.value") > 0, "the level meter hears the microphone"
    assert page.locator("#rec-timer").inner_text() in ("0:03", "0:04")
    page.click("#stop-recording")
    playback = page.locator(f"#rec-playback-{kind}")
    expect(playback).to_be_visible()
    expect(page.locator("#rerecord")).to_be_visible()
    assert playback.evaluate("player => player.src").startswith("blob:"), "the recording plays back before sending"

    page.fill("input[name=title]", f"Bài đọc thử ({kind})")
    page.check("input[name=consent_publish]")
    with page.expect_navigation():
        page.click("#send-entry")
    expect(page).to_have_url(re.compile(r"/reading/entries/\d+/$"))
    expect(page.locator("#latest-state [data-state]")).to_have_attribute(
        "data-state", re.compile("received|processing")
    )

    entry = Entry.objects.get(user=citizen)
    version = entry.versions.get()
    assert (version.source, version.kind, version.container) == ("recorded", kind, "matroska,webm")
    assert version.duration_ms >= 2500, "the duration of Chrome's WebM comes from its packets"

    _run_one_job()
    # The page polls the state and reloads by itself once processing is over.
    expect(page.locator("#latest-state [data-state]")).to_have_attribute("data-state", "ready", timeout=30_000)
    player = page.locator("#entry-state video.player" if kind == "video" else "#entry-state audio")
    expect(player).to_have_count(1)
    duration = player.evaluate(
        """element => new Promise((resolve) => {
             if (element.readyState >= 1) resolve(element.duration);
             element.addEventListener('loadedmetadata', () => resolve(element.duration));
             element.load();
           })"""
    )
    assert duration == pytest.approx(version.duration_ms / 1000, abs=1.0), "the browser plays the transcoded file"


def _drop_file(page, name: str, data: bytes) -> None:
    """Drop a file on the drop zone as a person dragging it from their files would."""
    import base64

    page.locator("#drop-zone").evaluate(
        """(zone, [name, payload]) => {
             const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
             const transfer = new DataTransfer();
             transfer.items.add(new File([bytes], name));
             zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
           }""",
        [name, base64.b64encode(data).decode()],
    )


def test_dropped_files_are_checked_by_content_then_sent(media_page, login, reading_round, citizen, tmp_path):
    from submissions import synth
    from submissions.models import Entry

    page = media_page
    login(page, citizen.email)
    page.goto(f"/rounds/{reading_round.round_id}/reading/")
    page.fill("input[name=title]", "Tệp thả vào")

    _drop_file(page, "bai-doc.mp3", "Không phải âm thanh. ".encode() * 200)
    expect(page.locator("#chosen-file")).to_contain_text("bai-doc.mp3")
    page.click("#send-entry")
    expect(page.locator("#form-errors")).to_contain_text("âm thanh hoặc video")  # refused, in Vietnamese
    assert not Entry.objects.exists()
    expect(page.locator("#send-entry")).to_be_enabled()

    recording = synth.audio_file(tmp_path / "doc.mp3", fmt="mp3", seconds=4)
    _drop_file(page, "doc.mp3", open(recording, "rb").read())  # noqa: SIM115
    with page.expect_navigation():
        page.click("#send-entry")
    expect(page).to_have_url(re.compile(r"/reading/entries/\d+/$"))
    entry = Entry.objects.get(user=citizen)
    assert entry.title == "Tệp thả vào" and entry.versions.get().source == "uploaded"


def test_the_timer_stops_the_recording_at_the_maximum_duration(media_page, login, reading_round, citizen):
    from submissions import services

    services.reading_round_configure(rnd=reading_round.round, settings={"min_duration_s": 1, "max_duration_s": 2})
    page = media_page
    login(page, citizen.email)
    page.goto(f"/rounds/{reading_round.round_id}/reading/")
    page.click("#record-audio")
    expect(page.locator("#stop-recording")).to_be_visible()
    expect(page.locator("#stop-recording")).to_be_hidden(timeout=5_000)  # nobody pressed it
    expect(page.locator("#rec-playback-audio")).to_be_visible()
    expect(page.locator("#rec-message")).to_have_text(page.locator("#recorder").get_attribute("data-msg-limit"))
