"""WebSocket consumers of live sessions: thin. Parse (``protocol.parse``), authorise (the one ``access_*``
selector), call a named service, publish the event it returns through the hub (after it committed).

What the screens see is built in ``payloads``; the game's rules (when a question is due, what a command
may do in which state) live in ``services``. The daphne fast path (one prepared frame per broadcast, the
session wrapper skipped) is in ``LiveConsumer``."""

from .host import HostConsumer
from .player import PlayerConsumer

__all__ = ["HostConsumer", "PlayerConsumer"]
