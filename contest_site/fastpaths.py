"""Where the live game reaches past channels into daphne and autobahn for speed, and what it says when it
cannot (issue 17).

The live broadcast (live/transport.py) takes two shortcuts that depend on other projects' internals:

- ``server_send``: the server's own send from under channels' ``InstanceSessionWrapper`` (its ``real_send``),
  skipping a session-save check on every message;
- ``websocket_protocol``: daphne's autobahn protocol, found in daphne's send (``partial(server.handle_reply,
  protocol)``), so that a broadcast is framed once (``factory.prepareMessage``) and written to every socket
  (``sendPreparedMessage``).

When an upgrade changes those internals the consumer still works, through the normal send, but a broadcast
to 2,000 phones costs several times as much. tests/tooling/test_fast_paths.py fails on such an upgrade; at
run time the first fall-back of each kind in a process is logged as a WARNING where the shortcuts are
expected (our daphne entry point, contest_site/serve.py, says so), and at DEBUG elsewhere (the test
communicator has no daphne to find).
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

SERVER_SEND = "server_send"
PREPARED_BROADCAST = "prepared_broadcast"
WHAT_IS_LOST = {
    SERVER_SEND: "channels' InstanceSessionWrapper has no real_send: every message goes through the session check",
    PREPARED_BROADCAST: "daphne's send is not partial(handle_reply, <autobahn protocol>): broadcasts are framed "
    "once per socket instead of once per game",
}

expected = False  # set by contest_site.serve.main(): this process is served by our daphne
_reported: set[str] = set()


def expect_fast_paths() -> None:
    global expected
    expected = True


def fell_back(kind: str, found: object) -> None:
    """Say once per process that the shortcut ``kind`` was not taken, with what was found instead."""
    if kind in _reported:
        return
    _reported.add(kind)
    level = logging.WARNING if expected else logging.DEBUG
    logger.log(level, "live fast path %s not taken (%s); found %r", kind, WHAT_IS_LOST[kind], found)


def reset() -> None:
    """Forget what was reported (tests)."""
    _reported.clear()
