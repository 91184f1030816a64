"""A daphne process dies between the commit of a batch of answers and its acknowledgements (issue 19): the
phones of that batch never hear "answer received", yet their answers are stored — on the other process they
rejoin, are told they answered, and the reveal scores them. Nothing a phone can resend is counted twice."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.faults.live_game import Game
from tests.servers import Daphne, project_call, running

pytestmark = [pytest.mark.faults, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

QUESTIONS = 2


def _messages_until_closed(ws, timeout_s: float = 20) -> list[str]:
    """The types of the messages a socket gets until the server goes away."""
    kinds = []
    try:
        while True:
            kinds.append(json.loads(ws.recv(timeout=timeout_s))["type"])
    except ConnectionClosed:
        return kinds


def test_answers_committed_before_the_process_died_are_stored_and_scored(fresh_env, channel_layer_url, tmp_path):
    env = {**fresh_env("live-killed-after-commit"), "REDIS_URL": channel_layer_url}
    data = project_call(env, "tests.faults.scenarios:live_game", questions=QUESTIONS, question_time_s=60)
    doomed = Daphne(env, tmp_path, app="tests.faults.crash_after_commit:application")
    survivor = Daphne(env, tmp_path)
    game = Game(data)
    with running(doomed, survivor):
        assert game.connect_host(survivor.url)["state"] == "lobby"
        for nickname, server in (("An", doomed), ("Bình", doomed), ("Chi", survivor)):
            game.join(nickname, server.url)
        game.command("start")
        game.question(0)
        right = data["questions"][0]["right"]
        for nickname in ("An", "Bình"):  # within one tick of the doomed process: one batch
            game.phones[nickname].ws.send(json.dumps({"type": "answer", "question": 0, "response": right}))
        for nickname in ("An", "Bình"):
            assert "answer_received" not in _messages_until_closed(game.phones[nickname].ws), "died before acks"
        doomed.popen.wait(timeout=10)
        assert doomed.popen.returncode == 17, "the process died right after the commit"

        stored = project_call(env, "tests.faults.scenarios:live_scores", session=data["session"])
        assert stored["An"]["answers"] == stored["Bình"]["answers"] == 1, "committed answers are stored"
        for nickname in ("An", "Bình"):
            joined = game.rejoin(nickname, survivor.url)
            assert (joined["state"], joined["index"], joined["answered"]) == ("question", 0, True), joined
            resent = game.phones[nickname].ws
            resent.send(json.dumps({"type": "answer", "question": 0, "response": right}))
            ack = json.loads(resent.recv(timeout=20))
            assert ack == {"type": "answer_received", "index": 0, "duplicate": True}, "resending is harmless"
        game.answer("Chi", 0, right=False)
        results = game.results(0)  # everyone answered: the projector's connection reveals
        assert results["An"]["right"] and results["An"]["points"] > 0
        assert results["Bình"]["right"] and results["Bình"]["points"] > 0
        game.command("next")
        game.play(1, right={"An", "Chi"})
        ended = game.end()
        game.close()
        stored = project_call(env, "tests.faults.scenarios:live_scores", session=data["session"])
    game.check_totals(ended, stored, answers=QUESTIONS)
