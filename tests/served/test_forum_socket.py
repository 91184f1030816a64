"""The forum's live socket through a real daphne process and a real WebSocket client: a reader who may not
read the topic gets the close code 4404 (on which static/js/forum-thread.js stops), not an HTTP 403 at the
handshake. The in-process communicator reports 4404 either way, so only a real socket tells them apart."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.servers import daphne, migrate, project_call, project_env, ws_connect

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CLOSE_NOT_FOUND = 4404


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forum-socket")
    env = project_env(folder)
    migrate(env)
    data = project_call(env, "tests.served.forum_scenarios:forum_with_hidden_topic")
    with daphne(env, folder) as (url,):
        yield {"url": url, **data}


def close_code_for(served, topic_id: int, cookie: str | None = None) -> int:
    """Open the topic's socket as a browser would and return the code it is closed with."""
    try:
        with ws_connect(served["url"], f"/ws/forum/topics/{topic_id}/", cookie) as ws:
            ws.recv(timeout=5)
    except InvalidStatus as refused:  # a close before accepting: the browser sees no code at all
        pytest.fail(f"refused at the handshake with HTTP {refused.response.status_code}, no close code")
    except ConnectionClosed as closed:
        return closed.rcvd.code
    pytest.fail("the socket stayed open")


def test_a_hidden_topic_closes_the_socket_with_4404(served):
    assert close_code_for(served, served["hidden"]) == CLOSE_NOT_FOUND


def test_a_missing_topic_closes_the_socket_with_4404(served):
    assert close_code_for(served, 999_999) == CLOSE_NOT_FOUND


def test_a_reader_of_a_visible_topic_and_the_moderator_of_a_hidden_one_stay_connected(served):
    for topic_id, cookie in ((served["visible"], None), (served["hidden"], served["organiser_cookie"])):
        with ws_connect(served["url"], f"/ws/forum/topics/{topic_id}/", cookie) as ws:
            ws.send(json.dumps({"type": "ping"}))
            assert json.loads(ws.recv(timeout=5)) == {"type": "pong"}
