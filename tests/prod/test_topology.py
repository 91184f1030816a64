"""The production topology end to end (issue 9): everything through nginx over HTTPS, as a phone sees it.

A live game whose players nginx spread over both daphne processes; a quiz round taken with autosave;
a read-aloud upload the job worker turns "ready", whose media nginx sends after the app's permission
check (X-Accel-Redirect); static files from STATIC_ROOT with long cache headers; and Ctrl+C stopping
every process.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.prod import data
from tests.prod.client import daphne_get, form_inputs
from tests.servers import next_message, project_call

pytestmark = [pytest.mark.prod, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

MAX_PLAYERS = 40
READY_TIMEOUT_S = 120
# The script, two daphne processes, the worker, two sweeps and nginx (whose workers come on top).
AT_LEAST_RUNNING = 7


@pytest.fixture(scope="module")
def world(topology):
    return project_call(topology.env, "tests.prod.data:world")


def _live_connections(topology, pin: str) -> list[int]:
    """How many players' WebSockets each daphne process accepted (its access log, one line each)."""
    return [topology.log(f"contest-daphne@{n}").count(f"WSCONNECT /ws/live/{pin}/") for n in (1, 2)]


def test_live_game_with_players_on_both_daphne_processes(topology, world):
    host = topology.browser()
    host.login(data.HOST_EMAIL, data.PASSWORD)
    host_ws = host.websocket(f"/ws/live/host/{world['session']}/", signed_in=True)
    assert next_message(host_ws, "state")["state"] == "lobby"
    players = []
    # nginx's round robin alternates within each of its workers: a few players reach both processes.
    while len(players) < 3 or 0 in _live_connections(topology, world["pin"]):
        assert len(players) < MAX_PLAYERS, (
            f"every player reached one process: {_live_connections(topology, world['pin'])}"
        )
        ws = topology.browser().websocket(f"/ws/live/{world['pin']}/")
        ws.send(json.dumps({"type": "join", "nickname": f"P{len(players)}"}))
        next_message(ws, "joined")
        players.append(ws)
    assert sum(_live_connections(topology, world["pin"])) == len(players)

    host_ws.send(json.dumps({"type": "start"}))
    for index, right in enumerate(world["right"]):
        for ws in players:
            assert next_message(ws, "question")["index"] == index
            ws.send(json.dumps({"type": "answer", "question": index, "response": right}))
            assert next_message(ws, "answer_received")["duplicate"] is False
        reveal = next_message(host_ws, "reveal")  # every answer counted, whichever process took it
        assert reveal["answered"] == len(players) and reveal["correct"] == [right]
        for ws in players:
            assert next_message(ws, "result")["index"] == index
        host_ws.send(json.dumps({"type": "next"}))
    ended = [next_message(ws, "ended") for ws in players]
    assert len(ended[0]["podium"]) == min(3, len(players))
    for ws in [*players, host_ws]:
        ws.close()


def test_quiz_round_through_nginx_start_autosave_submit_result(topology, world):
    browser = topology.browser()
    browser.login(data.PLAYER_EMAIL, data.PASSWORD)
    assert browser.get(f"/rounds/{world['quiz_round']}/quiz/").status == 200
    page = browser.post_form(f"/rounds/{world['quiz_round']}/quiz/start/", {})
    attempt_id = int(re.search(r"/attempts/(\d+)/$", page.url).group(1))
    state = project_call(topology.env, "tests.prod.data:attempt_state", attempt_id=attempt_id)
    questions, tokens = state["questions"], state["tokens"]
    right = {int(k): tokens[str(v)] for k, v in world["right_by_question"].items()}  # as the page names them
    radios = [i for i in form_inputs(page.text) if i.get("type") == "radio"]
    assert {i["name"] for i in radios} == {f"q{position}" for position in range(1, len(questions) + 1)}
    assert {i["value"] for i in radios} == set(tokens.values()), "the page names choices by token, not by id"

    for position, question in enumerate(questions[:-1], start=1):  # the page's autosave, through nginx
        saved = browser.post_json(
            f"/attempts/{attempt_id}/answer/", {"position": position, "response": right[question]}
        )
        assert saved.status == 200 and saved.json()["saved"] is True, saved.text
    last = len(questions)
    state = project_call(topology.env, "tests.prod.data:attempt_state", attempt_id=attempt_id)
    assert state["status"] == "active" and state["answered"] == last - 1

    result = browser.post_form(f"/attempts/{attempt_id}/submit/", {f"q{last}": right[questions[-1]]})
    assert result.status == 200 and result.url.endswith(f"/attempts/{attempt_id}/result/")
    assert 'id="score"' in result.text
    state = project_call(topology.env, "tests.prod.data:attempt_state", attempt_id=attempt_id)
    assert state["status"] == "submitted" and state["answered"] == last
    assert all(float(points) > 0 for points in state["points"]), state


def _wait_ready(browser, entry_id: int) -> dict:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        status = browser.get(f"/reading/entries/{entry_id}/status/").json()
        if not status["pending"]:
            return status
        assert time.monotonic() < deadline, f"entry {entry_id} still {status['state']} after {READY_TIMEOUT_S} s"
        time.sleep(0.5)


def _assert_handed_to_nginx(topology, browser, url: str, stored_name: str) -> bytes:
    """The app answers ``url`` with an X-Accel-Redirect and no body; nginx sends the stored file's bytes."""
    cookies = {"sessionid": browser.cookie("sessionid")}
    for number in (1, 2):
        app = daphne_get(topology.socket(number), url, host=f"127.0.0.1:{topology.port}", cookies=cookies)
        assert app.status == 200 and app.headers["X-Accel-Redirect"] == f"/_protected/{stored_name}"
        assert app.body == b""
    on_disk = (topology.folder / "media" / stored_name).read_bytes()
    served = browser.get(url)
    assert served.status == 200 and served.body == on_disk
    assert "X-Accel-Redirect" not in served.headers and served.headers["Last-Modified"]  # nginx's static module
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    part = browser.get(url, Range="bytes=10-109")
    assert part.status == 206 and part.body == on_disk[10:110]
    assert browser.get(f"/_protected/{stored_name}").status == 404, "the media location is internal only"
    return on_disk


def test_reading_upload_processed_by_the_worker_and_served_through_x_accel(topology, world, tmp_path):
    from submissions import synth

    browser = topology.browser()
    browser.login(data.PLAYER_EMAIL, data.PASSWORD)
    assert browser.get(f"/rounds/{world['reading_round']}/reading/").status == 200
    recording = synth.audio_file(tmp_path / "doc.m4a", fmt="m4a", seconds=3)
    sent = browser.post_multipart(
        f"/rounds/{world['reading_round']}/reading/entries/new/",
        {"title": "Bài đọc (prod)", "consent_publish": "on", "source": "uploaded"},
        {"recording": ("doc.m4a", Path(recording).read_bytes())},
        Accept="application/json",
    )
    assert sent.status == 200 and sent.json()["ok"], sent.text
    entry_id = int(re.search(r"/reading/entries/(\d+)/", sent.json()["redirect"]).group(1))

    status = _wait_ready(browser, entry_id)
    assert status["state"] == "ready", status
    assert "Task" in topology.log("contest-worker"), "the worker process ran the job"
    files = project_call(topology.env, "tests.prod.data:entry_files", entry_id=entry_id)
    page = browser.get(f"/reading/entries/{entry_id}/").text
    media_url = f"/reading/media/{files['version']}/media/"
    assert media_url in page
    body = _assert_handed_to_nginx(topology, browser, media_url, files["media"])
    assert body[4:8] == b"ftyp", "the worker's AAC in MP4"
    assert topology.browser().get(media_url).status == 404, "a stranger gets nothing"


def test_question_image_goes_through_the_same_hand_off(topology, world):
    browser = topology.browser()
    url = f"/questions/{world['image_question']}/image/"
    image = _assert_handed_to_nginx(topology, browser, url, world["image_name"])
    assert image.startswith(b"\x89PNG")
    assert browser.get(url).headers["Content-Type"] == "image/png"


def test_static_files_come_from_nginx_with_long_cache_for_hashed_names(topology):
    browser = topology.browser()
    home = browser.get("/")
    assert home.status == 200 and "Cuộc thi" in home.text  # seed_demo ran (SEED=1)
    hashed = re.search(r'/static/[^"]+\.[0-9a-f]{12}\.css', home.text).group(0)
    reply = browser.get(hashed, **{"Accept-Encoding": "gzip"})
    assert reply.status == 200 and reply.headers["Content-Encoding"] == "gzip"  # the .gz collectstatic wrote
    assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert reply.headers["Server"] == "nginx"


def test_interrupting_the_script_stops_every_process(topology):
    assert len(topology.session_processes()) >= AT_LEAST_RUNNING
    topology.stop()
    assert topology.process.returncode == 130
    assert topology.session_processes() == []
    assert not list((topology.folder / "run").glob("*.sock"))
