"""A daphne process is killed (SIGKILL) in the middle of a live question: its players come back on the other
process with their signed rejoin token and their score, the projector reconnects there too and the game plays
to the end with every point counted — the answer a phone had acknowledged before the kill included."""

from __future__ import annotations

import signal

import pytest

from tests.faults.live_game import Game
from tests.servers import Daphne, project_call, running

pytestmark = [pytest.mark.faults, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

QUESTIONS = 4


def test_players_and_host_of_a_killed_process_resume_on_the_other(fresh_env, channel_layer_url, tmp_path):
    env = {**fresh_env("live-daphne-killed"), "REDIS_URL": channel_layer_url}
    data = project_call(env, "tests.faults.scenarios:live_game", questions=QUESTIONS, question_time_s=60)
    doomed, survivor = Daphne(env, tmp_path), Daphne(env, tmp_path)
    game = Game(data)
    with running(doomed, survivor):
        assert game.connect_host(doomed.url)["state"] == "lobby"
        for nickname, server in (("An", doomed), ("Bình", doomed), ("Chi", survivor), ("Dũng", survivor)):
            game.join(nickname, server.url)
        game.command("start")
        game.play(0, right={"An", "Chi"})
        game.command("next")

        game.question(1)
        game.answer("An", 1, right=True)  # acknowledged by the process about to die
        game.answer("Chi", 1, right=True)
        doomed.kill(signal.SIGKILL)

        state = game.connect_host(survivor.url)
        assert (state["state"], state["index"], state["answered"]) == ("question", 1, 2), state
        for nickname in ("An", "Bình"):
            joined = game.rejoin(nickname, survivor.url)
            phone = game.phones[nickname]
            assert joined["score"] == phone.told, "the score survived the process"
            assert (joined["state"], joined["index"]) == ("question", 1)
            assert joined["answered"] is (nickname == "An"), "the acknowledged answer is still there"
        game.answer("Bình", 1, right=False)
        game.answer("Dũng", 1, right=True)
        results = game.results(1)  # the projector's new connection reveals once everyone answered
        assert results["An"]["right"] and results["An"]["points"] > 0

        game.command("next")
        game.play(2, right={"Bình", "Dũng"})
        game.command("next")
        game.play(3, right={"An", "Bình", "Chi", "Dũng"})
        ended = game.end()
        game.close()
        stored = project_call(env, "tests.faults.scenarios:live_scores", session=data["session"])
    game.check_totals(ended, stored, answers=QUESTIONS)
    totals = sorted((sum(phone.points.values()) for phone in game.phones.values()), reverse=True)
    assert [row["score"] for row in ended["An"]["podium"]] == totals[:3]
