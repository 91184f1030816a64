"""Issue 15's journeys in a browser: recordings reach the server over tus (static/js/entry-uploads.js).

- A participant picks a 12 MB video; the network is cut once a third has gone and restored a few seconds
  later; the page says it is offline, then resuming, and the upload continues from the server's offset;
  the entry is created from the upload, the stored original is byte-identical and the worker makes it ready.
- The same after a reload: the same file picked again continues where it stopped (localStorage fingerprint).
- The recorder uploads while recording (Chromium's fake camera and microphone): PATCHes go out before the
  stop; recording again deletes the first upload; the entry form then carries only the upload's URL.

The tus endpoint is a raw ASGI application (contest_site/asgi.py), which pytest-django's WSGI live server
does not have: these tests run daphne and the job worker (tests/servers.py) on their own SQLite file.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.servers import Daphne, Worker, db_rows, migrate, project_call, project_env, running

pytestmark = pytest.mark.e2e

TIMEZONE = "Asia/Ho_Chi_Minh"
FAKE_MEDIA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
UPLOAD_BYTES_PER_S = 1_500_000  # the picker's upload is throttled so that the test can cut it mid-way


def setup_data() -> dict:
    """An open reading round (video allowed, 20 MB at most) and a participant signed in by session cookie.
    Run inside the served project (``project_call``)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from contests import services as contest_services
    from contests.models import Event, Organisation, Region
    from submissions import services
    from tests.sessions import signed_in_session

    call_command("load_regions", verbosity=0)
    now = timezone.now().replace(second=0, microsecond=0)
    library = Organisation.objects.create(name="Thư viện tỉnh", slug="thu-vien")
    organiser = get_user_model().objects.create_user("btc", "btc@example.vn", "x")
    contest_services.membership_add(user=organiser, organisation=library)
    window = {"opens_at": now - dt.timedelta(hours=1), "closes_at": now + dt.timedelta(days=7)}
    event = contest_services.event_create(
        organisation=library, by=organiser, fields={"title": "Cuộc thi đọc (tải lên)", "kind": "contest", **window}
    )
    rnd = contest_services.round_create(event=event, fields={"title": "Đọc sách", "kind": "reading", **window})
    services.reading_round_configure(
        rnd=rnd,
        settings={"min_duration_s": 2, "max_duration_s": 60, "max_size_mb": 20, "min_video_lines": 120},
    )
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=organiser)
    person = get_user_model().objects.create_user("doc.gia", "doc.gia@example.vn", "x")
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    contest_services.profile_update(
        profile=contest_services.profile_get_or_create(user=person),
        data={
            "full_name": "Trần Thị Đọc",
            "date_of_birth": dt.date(1992, 3, 4),
            "phone": "+84912345002",
            "region": Region.objects.get(code="TN-DT-01"),
            "category": "citizen",
        },
        data_consent=True,
        guardian_consent=False,
    )
    return {"round": rnd.pk, "session": signed_in_session(person)}


def size_limit(*, round_id: int, max_size_mb: int) -> None:
    from contests.models import Round
    from submissions import services

    services.reading_round_configure(rnd=Round.objects.get(pk=round_id), settings={"max_size_mb": max_size_mb})


def start_afresh(*, round_id: int) -> None:
    """Each test starts with no entry and no upload (quota, 'one file at a time' checks) and 20 MB allowed."""
    from submissions.models import Entry, ResumableUpload

    ResumableUpload.objects.all().delete()
    Entry.objects.all().delete()
    size_limit(round_id=round_id, max_size_mb=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """daphne (HTTP, the tus door) and the job worker on a fresh SQLite file; yields URL, folder and data."""
    folder = tmp_path_factory.mktemp("upload-e2e")
    env = project_env(folder)
    migrate(env)
    data = project_call(env, "tests.e2e.test_reading_upload:setup_data")
    with running(Daphne(env, folder), Worker(env, folder)) as (web, _worker):
        yield {"url": web.url, "folder": folder, "env": env, **data}


def _call(server, function: str, **kwargs):
    """Call a function of this module inside the served project (its settings, its database)."""
    return project_call(server["env"], f"tests.e2e.test_reading_upload:{function}", **kwargs)


@pytest.fixture
def fresh(server):
    _call(server, "start_afresh", round_id=server["round"])
    return server


def _context(browser, server):
    context = browser.new_context(base_url=server["url"], timezone_id=TIMEZONE)
    context.set_default_timeout(20_000)
    context.add_cookies([{"name": "sessionid", "value": server["session"], "url": server["url"]}])
    return context


@pytest.fixture
def participant(browser, fresh):
    context = _context(browser, fresh)
    yield context
    context.close()


@pytest.fixture(scope="module")
def media_browser(browser):
    """A second Chromium of the session's Playwright, with a fake microphone and camera that need no prompt."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    launched = browser.browser_type.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *FAKE_MEDIA])
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """A real MP4 (H.264 + AAC) of about 12 MB: noise frames, losslessly coded, so that they do not shrink."""
    import av
    from PIL import Image

    from submissions import synth

    path = tmp_path_factory.mktemp("video") / "bai-doc-dai.mp4"
    size, fps, frames = (320, 240), 15, 105
    with av.open(str(path), "w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"qp": "0", "preset": "ultrafast"}
        audio = output.add_stream("aac", rate=synth.RATE, layout="mono")
        for index in range(frames):
            picture = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
            frame = av.VideoFrame.from_image(picture).reformat(format="yuv420p")
            frame.pts = index
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
        synth._write_audio(output, audio, seconds=frames / fps, rate=synth.RATE, amplitude=0.3, speech=True)
    assert 10 * 2**20 < path.stat().st_size < 16 * 2**20, path.stat().st_size
    return path


def _note_patch(request, patches: list[tuple[int, int]]) -> None:
    """(Upload-Offset, body size) of each PATCH the page sends."""
    if request.method == "PATCH":
        patches.append((int(request.headers["upload-offset"]), len(request.post_data_buffer or b"")))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _watch_states(page) -> list[str]:
    """Every state the upload status goes through (#upload-status[data-state]), in order, kept in the test
    (the page itself goes away when the entry is saved)."""
    states: list[str] = []
    page.expose_function("noteUploadState", lambda state: states.append(state))
    page.evaluate(
        """() => {
             const status = document.getElementById("upload-status");
             new MutationObserver(() => window.noteUploadState(status.dataset.state))
               .observe(status, { attributes: true, attributeFilter: ["data-state"] });
           }"""
    )
    return states


class Network:
    """The page's network as DevTools emulates it: uploads throttled (so that the test can cut one mid-way),
    then offline and back. One CDP session does both: Playwright's ``set_offline`` leaves a request that is
    already sending untouched, while a cut phone connection fails it."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.set(offline=False)

    def set(self, *, offline: bool) -> None:
        conditions = {"latency": 5, "downloadThroughput": -1, "uploadThroughput": UPLOAD_BYTES_PER_S}
        self.cdp.send("Network.emulateNetworkConditions", {"offline": offline, **conditions})


def _server_upload(server) -> tuple[int, int | None]:
    """(offset, length) of the only resumable upload on the server."""
    rows = db_rows(server["env"], "SELECT offset, length FROM submissions_resumableupload")
    assert len(rows) == 1, rows
    return rows[0]


def _stored_original(server) -> tuple[Path, str, str]:
    """The entry's only version: its stored original, its source and its state."""
    ((name, source, state),) = db_rows(server["env"], "SELECT original, source, state FROM submissions_entryversion")
    return server["folder"] / "media" / name, source, state


def _wait_until_progress(page, percent: int, timeout_s: float = 30) -> None:
    """Poll the progress bar from here: the site's CSP forbids the string evaluation of wait_for_function."""
    progress = page.locator("#upload-progress")
    deadline = time.monotonic() + timeout_s
    while progress.evaluate("bar => bar.value") < percent:
        assert time.monotonic() < deadline, f"the upload did not reach {percent} %"
        page.wait_for_timeout(50)


def test_a_picked_video_survives_a_cut_network_and_arrives_whole(participant, fresh, video):
    page = participant.new_page()
    page.goto(f"/rounds/{fresh['round']}/reading/")
    page.fill("input[name=title]", "Bài đọc dài")
    page.set_input_files("#id_recording", str(video))
    states = _watch_states(page)
    patches = []
    page.on("request", lambda request: _note_patch(request, patches))
    network = Network(page)

    page.click("#send-entry")
    _wait_until_progress(page, 30)
    network.set(offline=True)
    expect(page.locator("#upload-status")).to_have_attribute("data-state", "offline")
    expect(page.locator("#upload-state")).to_have_text(page.locator("#entry-form").get_attribute("data-msg-offline"))
    page.wait_for_timeout(3000)
    offset, length = _server_upload(fresh)
    assert length == video.stat().st_size
    assert 0 < offset < length, "the server kept what arrived before the cut, not the whole file"

    with page.expect_navigation(timeout=60_000):
        network.set(offline=False)
    expect(page).to_have_url(re.compile(r"/reading/entries/\d+/$"))
    assert states.index("offline") < states.index("resuming") < states.index("done"), states
    starts = [start for start, _size in patches]
    assert starts == sorted(starts) and max(starts) >= offset, "it continued from the server's offset, not from 0"
    assert all(size <= 5 * 2**20 for _start, size in patches), "5 MiB chunks"

    original, source, _state = _stored_original(fresh)
    assert source == "uploaded"
    assert _sha256(original) == _sha256(video), "the stored original is the picked file, byte for byte"
    assert not db_rows(fresh["env"], "SELECT id FROM submissions_resumableupload"), "the entry took the upload"
    # The worker transcodes it; the entry page polls and shows it ready.
    expect(page.locator("#latest-state [data-state]")).to_have_attribute("data-state", "ready", timeout=90_000)


def test_after_a_reload_the_same_file_continues_where_it_stopped(participant, fresh, video):
    page = participant.new_page()
    page.goto(f"/rounds/{fresh['round']}/reading/")
    page.fill("input[name=title]", "Bài đọc gửi lại")
    page.set_input_files("#id_recording", str(video))
    network = Network(page)
    page.click("#send-entry")
    _wait_until_progress(page, 30)
    network.set(offline=True)
    expect(page.locator("#upload-status")).to_have_attribute("data-state", "offline")
    page.wait_for_timeout(1500)
    offset, _length = _server_upload(fresh)
    network.set(offline=False)
    page.reload()  # the phone's browser was closed; the person comes back to the page

    # The page remembers the interrupted upload and says how to continue it.
    expect(page.locator("#chosen-file")).to_contain_text(video.name)
    patches = []
    page.on("request", lambda request: _note_patch(request, patches))
    page.fill("input[name=title]", "Bài đọc gửi lại")
    page.set_input_files("#id_recording", str(video))
    states = _watch_states(page)
    with page.expect_navigation(timeout=60_000):
        page.click("#send-entry")
    expect(page).to_have_url(re.compile(r"/reading/entries/\d+/$"))
    assert "resuming" in states, states
    assert patches and patches[0][0] >= offset > 0, "the first PATCH after the reload went on from the server's offset"
    original, _source, _state = _stored_original(fresh)
    assert _sha256(original) == _sha256(video)


def test_the_recorder_uploads_while_recording(media_browser, fresh):
    context = _context(media_browser, fresh)
    try:
        page = context.new_page()
        requests, created = [], []
        page.on("request", lambda request: requests.append((request.method, request.url)))
        page.on("response", lambda reply: reply.status == 201 and created.append(reply.headers["location"]))
        page.goto(f"/rounds/{fresh['round']}/reading/")
        expect(page.locator("#recorder")).to_be_visible()

        # A first take, thrown away: its upload is deleted on the server.
        page.click("#record-video")
        expect(page.locator("#stop-recording")).to_be_visible()
        page.wait_for_timeout(2500)
        page.click("#stop-recording")
        expect(page.locator("#rerecord")).to_be_visible()
        assert len(created) == 1, "the upload was created when the recording started"
        first = fresh["url"] + created[0]
        with page.expect_request(lambda request: request.method == "DELETE" and request.url == first):
            page.click("#rerecord")  # recording again deletes the first take's upload

        page.click("#record-video")
        expect(page.locator("#stop-recording")).to_be_visible()
        page.wait_for_timeout(4500)
        sent_while_recording = [url for method, url in requests if method == "PATCH" and url != first]
        assert sent_while_recording, "bytes left while recording, before the stop"
        expect(page.locator("#rec-sent")).to_be_visible()
        page.click("#stop-recording")
        expect(page.locator("#rec-playback-video")).to_be_visible()

        page.fill("input[name=title]", "Bài đọc ghi hình")
        with page.expect_request(re.compile(r"/reading/entries/new/$")) as form_post, page.expect_navigation():
            page.click("#send-entry")
        body = form_post.value.post_data_buffer or b""
        assert len(body) < 10_000 and b'name="upload"' in body and sent_while_recording[0].encode() in body
        expect(page).to_have_url(re.compile(r"/reading/entries/\d+/$"))
        _original, source, _state = _stored_original(fresh)
        assert source == "recorded"
        assert not db_rows(fresh["env"], "SELECT id FROM submissions_resumableupload"), "both uploads are gone"
    finally:
        context.close()


@pytest.mark.parametrize("how", ["picked", "recorded"])
def test_without_the_endpoint_the_form_posts_the_file_itself(media_browser, fresh, tmp_path, how):
    """A server without /uploads/ (pytest-django's WSGI live server, an old deployment): creation answers
    404, and the page falls back to the plain multipart form, as without JavaScript."""
    from submissions import synth

    context = _context(media_browser, fresh)
    try:
        page = context.new_page()
        page.route(re.compile(r"/uploads/"), lambda route: route.fulfill(status=404, body="Not Found"))
        page.goto(f"/rounds/{fresh['round']}/reading/")
        page.fill("input[name=title]", "Không có tus")
        if how == "picked":
            page.set_input_files("#id_recording", synth.audio_file(tmp_path / "doc.mp3", fmt="mp3", seconds=4))
        else:
            page.click("#record-audio")
            page.wait_for_timeout(3000)
            page.click("#stop-recording")
            expect(page.locator("#rec-playback-audio")).to_be_visible()
        with page.expect_request(re.compile(r"/reading/entries/new/$")) as form_post, page.expect_navigation():
            page.click("#send-entry")
        assert b'name="recording"; filename=' in (form_post.value.post_data_buffer or b""), "the file is a part"
        expect(page).to_have_url(re.compile(r"/reading/entries/\d+/$"))
        _original, source, _state = _stored_original(fresh)
        assert source == how.replace("picked", "uploaded")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "vi"])
def test_a_refusal_of_the_endpoint_is_shown_in_the_readers_language(participant, fresh, video, language):
    """The page was opened when 20 MB were allowed; meanwhile the organisers lowered it to 5: the endpoint
    refuses the creation (413) with its sentence, in the language of the page, and the page shows it."""
    participant.add_cookies([{"name": "django_language", "value": language, "url": fresh["url"]}])
    page = participant.new_page()
    page.goto(f"/rounds/{fresh['round']}/reading/")
    _call(fresh, "size_limit", round_id=fresh["round"], max_size_mb=5)
    page.fill("input[name=title]", "Quá lớn")
    page.set_input_files("#id_recording", str(video))
    with page.expect_response(lambda reply: reply.request.method == "POST" and "/uploads/" in reply.url) as created:
        page.click("#send-entry")
    assert created.value.status == 413
    refusal = created.value.text()
    assert refusal and created.value.headers["content-language"] == language
    if language == "en":
        assert refusal == "The file is larger than the 5 MB allowed."
    expect(page.locator("#form-errors")).to_have_text(refusal)
    expect(page.locator("#send-entry")).to_be_enabled()


def test_a_replacement_on_the_entry_page_goes_through_an_upload_of_that_entry(participant, fresh, tmp_path):
    from submissions import synth

    page = participant.new_page()
    metadata = []
    page.on(
        "request",
        lambda request: (
            request.method == "POST"
            and "/uploads/" in request.url
            and metadata.append(request.headers["upload-metadata"])
        ),
    )
    page.goto(f"/rounds/{fresh['round']}/reading/")
    page.fill("input[name=title]", "Bài đọc đầu")
    page.set_input_files("#id_recording", synth.audio_file(tmp_path / "dau.mp3", fmt="mp3", seconds=3))
    with page.expect_navigation():
        page.click("#send-entry")
    entry_url = page.url

    page.set_input_files("#id_recording", synth.audio_file(tmp_path / "sau.m4a", fmt="m4a", seconds=4))
    with page.expect_navigation():
        page.click("#send-entry")
    assert page.url == entry_url
    entry_id = re.search(r"/entries/(\d+)/", entry_url).group(1)
    assert len(metadata) == 2 and not any(pair.startswith("entry ") for pair in metadata[0].split(","))
    assert f"entry {base64.b64encode(entry_id.encode()).decode()}" in metadata[1], "the upload names its entry"
    versions = db_rows(fresh["env"], "SELECT number, container FROM submissions_entryversion ORDER BY number")
    assert [number for number, _container in versions] == [1, 2]
    assert "mp4" in versions[1][1], "the second version is the replacement"
