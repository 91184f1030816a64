"""Redis (the channel layer between two daphne processes) restarts in the middle of a live game: once it is
back the game goes on — every phone and the projector keep their sockets, get the next questions and results,
and the totals are right. Redis here is a private redis-server on a free port, never the machine's shared one.

Two restarts: a clean one (SIGTERM: Redis writes its snapshot and loads it again, as Debian's packaged
configuration does) and a crash of a Redis that keeps nothing (SIGKILL, no snapshot): every channel-layer
group is gone when it comes back. A page whose socket the server closes reconnects, as the pages do; with
the channel layer's retries (settings) no socket is closed at all."""

from __future__ import annotations

import signal

import pytest

from tests.faults.live_game import Game
from tests.servers import NO_REDIS_SERVER, REDIS_SERVER, Daphne, RedisServer, project_call, running

pytestmark = [
    pytest.mark.faults,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.skipif(REDIS_SERVER is None, reason=NO_REDIS_SERVER),
]

QUESTIONS = 3


@pytest.mark.parametrize(
    ("persistent", "sig"),
    [
        pytest.param(True, signal.SIGTERM, id="clean-restart-with-snapshot"),
        pytest.param(False, signal.SIGKILL, id="crash-losing-every-key"),
    ],
)
def test_the_game_goes_on_once_redis_is_back(fresh_env, tmp_path, persistent, sig):
    redis_server = RedisServer(tmp_path, persistent=persistent)
    with running(redis_server):
        env = {**fresh_env("live-redis-restarted"), "REDIS_URL": redis_server.url}
        data = project_call(env, "tests.faults.scenarios:live_game", questions=QUESTIONS, question_time_s=60)
        first, second = Daphne(env, tmp_path), Daphne(env, tmp_path)
        game = Game(data)
        with running(first, second):
            assert game.connect_host(first.url)["state"] == "lobby"
            for nickname, server in (("An", first), ("Bình", first), ("Chi", second), ("Dũng", second)):
                game.join(nickname, server.url)
            game.command("start")
            game.play(0, right={"An", "Chi"})

            redis_server.restart(sig)  # between a reveal and the host's next command
            where = {"host": first.url, "An": first.url, "Bình": first.url, "Chi": second.url, "Dũng": second.url}
            # settle() waits 2 quiet seconds: on an empty Redis the hubs have renewed their group memberships
            # by then (every GROUP_REFRESH_S = 1 s); a broadcast sent before that would miss the other process.
            print("reconnections", game.settle(where))

            game.command("next")
            game.play(1, right={"Bình", "Chi"})
            game.command("next")
            game.play(2, right={"An", "Bình", "Chi", "Dũng"})
            ended = game.end()
            game.close()
            stored = project_call(env, "tests.faults.scenarios:live_scores", session=data["session"])
    game.check_totals(ended, stored, answers=QUESTIONS)
