"""Contract tests for the live broadcast's shortcuts into channels, daphne and autobahn
(contest_site/fastpaths.py): built from the real classes of the installed versions, so that an upgrade that
makes the consumer fall back to the slow path fails here instead of silently costing the live game."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

import pytest
from autobahn.websocket.protocol import PreparedMessage
from channels.sessions import SessionMiddlewareStack
from daphne.server import Server
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet.testing import StringTransport

from contest_site import fastpaths
from live.consumers import PlayerConsumer

SCOPE = {"type": "websocket", "path": "/ws/live/123456/", "headers": [], "url_route": {"kwargs": {"pin": "123456"}}}


@pytest.fixture(autouse=True)
def _fresh_reports(monkeypatch):
    fastpaths.reset()
    monkeypatch.setattr(fastpaths, "expected", False)
    yield
    fastpaths.reset()


def _daphne_protocol() -> WebSocketProtocol:
    factory = WebSocketFactory(server_class=None)
    protocol = factory.buildProtocol(("127.0.0.1", 0))
    protocol.makeConnection(StringTransport())  # autobahn's per-connection state, as on a real accept
    protocol.state = protocol.STATE_OPEN  # as after the handshake (not replayed here)
    protocol.websocket_version = 13
    return protocol


def _send_through_the_stack(protocol: WebSocketProtocol) -> tuple[object, object]:
    """What a consumer's ``base_send`` is when daphne serves it behind channels' session middleware: daphne's
    own ``create_application`` makes the send, the real SessionMiddlewareStack wraps it."""
    received = {}

    async def inner(scope, receive, send):
        received["send"] = send

    # Never listens: run() is not called, only the method that gives an application its send.
    server = Server(application=SessionMiddlewareStack(inner), endpoints=["tcp:port=0:interface=127.0.0.1"])
    server.connections = {protocol: {}}

    async def serve():
        server.create_application(protocol, dict(SCOPE))
        await server.connections[protocol]["application_instance"]

    asyncio.run(serve())
    return received["send"], server


@pytest.mark.django_db
def test_under_daphne_the_consumer_takes_both_shortcuts(caplog):
    protocol = _daphne_protocol()
    base_send, server = _send_through_the_stack(protocol)
    consumer = PlayerConsumer()
    consumer.base_send = base_send

    assert isinstance(consumer.server_send, partial), "channels' session wrapper was not skipped"
    assert consumer.server_send.func == server.handle_reply
    assert consumer.websocket_protocol is protocol, "daphne's autobahn protocol was not found"
    assert not [r for r in caplog.records if r.name == fastpaths.__name__]


def test_a_prepared_broadcast_writes_one_websocket_frame():
    """The broadcast's autobahn calls, as send_broadcast makes them: framed once, written to the socket."""
    protocol = _daphne_protocol()
    consumer = PlayerConsumer()
    consumer.__dict__["websocket_protocol"] = protocol
    prepared: dict = {}
    asyncio.run(consumer.send_broadcast('{"type": "question"}', prepared))
    assert isinstance(prepared["frame"], PreparedMessage)
    written = protocol.transport.value()
    assert written[0] == 0x81, "one final text frame"
    assert written.endswith(b'{"type": "question"}')


@pytest.mark.parametrize("expected, level", [(True, logging.WARNING), (False, logging.DEBUG)])
def test_a_fall_back_is_logged_once_loudly_where_the_shortcuts_are_expected(caplog, monkeypatch, expected, level):
    monkeypatch.setattr(fastpaths, "expected", expected)
    caplog.set_level(logging.DEBUG, logger=fastpaths.__name__)

    async def plain_send(message):
        pass

    for _ in range(3):  # three connections: one line per kind and process, not one per socket
        consumer = PlayerConsumer()
        consumer.base_send = plain_send
        assert consumer.websocket_protocol is None and consumer.server_send is plain_send
    lines = [r for r in caplog.records if r.name == fastpaths.__name__]
    assert [(r.levelno, r.getMessage().split(" (")[0]) for r in lines] == [
        (level, "live fast path server_send not taken"),
        (level, "live fast path prepared_broadcast not taken"),
    ]
