"""Two daphne processes sharing Redis (channels_redis) and one database: the host on one server, the
players on the other, a full game played to the end. Proves the hub's one-message-per-process broadcast
and the server-side state work across processes, as in the scale-out deployment."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from tests.servers import daphne, prepare_database, project_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"

SETUP = """
import json
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from tests.sessions import signed_in_session
from contests.models import Organisation
from contests import services as contest_services
from quizzes import services
from quizzes.importing.base import ParsedChoice, ParsedQuestion
from live import payloads
from live import services as live

org = Organisation.objects.create(name="Sở GD&ĐT", slug="so")
host = get_user_model().objects.create_user("host", "host@example.vn", "x")
contest_services.membership_add(user=host, organisation=org)
bank = services.bank_create(organisation=org, title="Ngân hàng")
questions = [ParsedQuestion(where=str(i), type="single", text=f"Câu {i}?",
             choices=[ParsedChoice("Đúng", True), ParsedChoice("Sai", False)]) for i in range(3)]
services.questions_import(bank=bank, questions=questions)
ids = list(bank.questions.values_list("pk", flat=True))
quiz = services.quiz_create(organisation=org, bank=bank, title="Đề", question_ids=ids, shuffle_questions=False,
                            shuffle_choices=False)
session = live.session_create(quiz=quiz, host=host, question_time_s=30)
right = {q.pk: q.choices.get(is_correct=True).pk for q in bank.questions.all()}
print(json.dumps({"session": session.pk, "pin": session.pin, "cookie": signed_in_session(host),
                  # what phones see and send: the right choice's token for its place in this game
                  "right": [payloads.question_tokens(session, i, [right[qid]]).token(right[qid])
                            for i, qid in enumerate(session.question_ids)]}))
"""


def _redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not _redis_available():
        pytest.skip(f"needs Redis at {REDIS_URL} (CI starts it; `redis-server --daemonize yes` here)")
    folder = tmp_path_factory.mktemp("two-servers")
    env = project_env(folder, REDIS_URL=REDIS_URL)  # both processes share one SQLite file (WAL allows it)
    data = prepare_database(env, SETUP)
    with daphne(env, folder, count=2) as urls:
        ports = [int(url.rsplit(":", 1)[1]) for url in urls]
        for url in urls:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:  # noqa: S310 - our own server
                assert json.loads(reply.read())["checks"]["channel_layer"]["backend"] == "RedisChannelLayer"
        yield {"ports": ports, **data}


def _connect(port: int, path: str, cookie: str | None = None):
    from websockets.sync.client import connect

    headers = {"Origin": f"http://127.0.0.1:{port}"}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    return connect(f"ws://127.0.0.1:{port}{path}", additional_headers=headers, open_timeout=5)


def _next(ws, kind: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == kind:
            return message


def test_host_on_one_server_players_on_the_other_play_a_full_game(servers):
    host_port, player_port = servers["ports"]
    host = _connect(host_port, f"/ws/live/host/{servers['session']}/", servers["cookie"])
    assert _next(host, "state")["state"] == "lobby"
    players = []
    for nickname in ("An", "Bình", "Chi"):
        ws = _connect(player_port, f"/ws/live/{servers['pin']}/")
        ws.send(json.dumps({"type": "join", "nickname": nickname}))
        players.append((nickname, ws, _next(ws, "joined")))
    host.send(json.dumps({"type": "start"}))
    for index, right in enumerate(servers["right"]):
        for position, (_nickname, ws, _joined) in enumerate(players):
            question = _next(ws, "question")
            assert question["index"] == index and "correct" not in question
            wrong = next(c["id"] for c in question["choices"] if c["id"] != right)
            ws.send(
                json.dumps({"type": "answer", "question": index, "response": right if position <= index else wrong})
            )
            assert _next(ws, "answer_received")["duplicate"] is False
        # everyone answered: the host's connection reveals by itself, on the other server
        reveal = _next(host, "reveal")
        assert reveal["answered"] == 3 and reveal["correct"] == [right]
        results = {nickname: _next(ws, "result") for nickname, ws, _joined in players}
        assert all(result["index"] == index for result in results.values())
        if index == 1:
            # Chi's server "dies" for her: she comes back through the host's server with her token.
            nickname, ws, joined = players[2]
            ws.close()
            again = _connect(host_port, f"/ws/live/{servers['pin']}/")
            again.send(json.dumps({"type": "rejoin", "token": joined["token"]}))
            back = _next(again, "joined")
            assert back["player"] == joined["player"] and back["score"] == results["Chi"]["score"]
            players[2] = (nickname, again, back)
        host.send(json.dumps({"type": "next"}))
    ended = {nickname: _next(ws, "ended") for nickname, ws, _joined in players}
    assert [row["nickname"] for row in ended["An"]["podium"]] == ["An", "Bình", "Chi"]
    assert ended["An"]["rank"] == 1 and ended["Chi"]["rank"] == 3
    for _nickname, ws, _joined in players:
        ws.close()
    host.close()
