"""The base of the live game's sockets: how a message is limited, parsed and answered in the connection's
language, and the daphne fast path that makes a broadcast to thousands of phones cheap (one prepared frame
per broadcast; channels' session wrapper skipped for sockets that never change their session). The fast
path reads daphne/autobahn/channels internals (``handle_reply``, ``sendPreparedMessage``,
``InstanceSessionWrapper.real_send``) and falls back to the normal send where they are not there."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import cached_property, partial

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.sessions import InstanceSessionWrapper
from django.conf import settings
from django.utils import translation

from contest_site import fastpaths
from contest_site.consumers import LeanConsumer
from contest_site.ratelimit import RateLimit

from .protocol import ProtocolError, encode, parse


def _plain(value: object, *_args: object, **_kwargs: object) -> object:
    return value


def _unformatted(_value: object, *_args: object, **_kwargs: object) -> str:
    return "(not formatted: autobahn's debug logging is off)"


def quiet_autobahn_debug_arguments() -> bool:
    """Stop autobahn from building the arguments of debug log lines nobody reads; True if it was done.

    autobahn passes them eagerly, so with debug logging off each frame it sends still styles three strings
    for the terminal (``hltype``/``hlval`` through click, in ``sendData``) and each new connection
    pretty-prints its options (``pformat``). Profiled under daphne at 2,000 phones (bench/live_round.py
    --profile): about 1.3 s of one process's CPU per game plus 1.7 ms per connection, as much as the frames'
    socket writes. The highlighting is cosmetic, so those names are swapped for ones that do nothing (the
    value as it is; no pretty-printing) — unless autobahn's debug (or trace) logging is on, where they are
    left alone."""
    try:
        import txaio
        from autobahn.twisted import websocket as twisted_websocket
        from autobahn.websocket import protocol

        if txaio.get_global_log_level() in ("debug", "trace"):  # type: ignore[attr-defined]
            return False
    except Exception:  # another autobahn, or none: nothing to quieten
        return False
    swaps: dict[str, Callable[..., object]] = {"hltype": _plain, "hlval": _plain, "pformat": _unformatted}
    for module in (protocol, twisted_websocket):
        for name, cheap in swaps.items():
            if hasattr(module, name):
                setattr(module, name, cheap)
    return True


quiet_autobahn_debug_arguments()


class LiveConsumer(LeanConsumer, AsyncWebsocketConsumer):
    schema: dict = {}
    rate = RateLimit

    async def send_text(self, text: str) -> None:
        # The hub calls this for every phone of every broadcast: straight to the server's send.
        with contextlib.suppress(Exception):  # the socket went away mid-broadcast; disconnect() cleans up
            await self.server_send({"type": "websocket.send", "text": text})

    async def send_broadcast(self, text: str, prepared: dict) -> None:
        """Send a text that every phone of the game gets. Where daphne serves the socket it is written as
        one prepared frame (autobahn's broadcast API: framed once, in ``prepared``, for all sockets);
        otherwise (the test communicator, a closing socket) through the normal send."""
        protocol = self.websocket_protocol
        if protocol is None or protocol.state != protocol.STATE_OPEN:
            await self.send_text(text)
            return
        if "frame" not in prepared:
            prepared["frame"] = protocol.factory.prepareMessage(text.encode())
        protocol.sendPreparedMessage(prepared["frame"])

    @cached_property
    def websocket_protocol(self):
        """daphne's WebSocket protocol object (an autobahn protocol) behind this consumer, if any: daphne's
        send is ``partial(server.handle_reply, protocol)``."""
        send = self.server_send
        if isinstance(send, partial) and send.args and hasattr(send.args[0], "sendPreparedMessage"):
            return send.args[0]
        fastpaths.fell_back(fastpaths.PREPARED_BROADCAST, send)
        return None

    @cached_property
    def server_send(self):
        """The server's send from under channels' session middleware, whose wrapper looks for session
        changes to save on every message: a third of a broadcast's cost at 2,000 phones, for sockets
        that never change their session (authentication happened before the connection was accepted)."""
        wrapper = getattr(self.base_send, "__self__", None)
        if isinstance(wrapper, InstanceSessionWrapper) and hasattr(wrapper, "real_send"):
            return wrapper.real_send
        fastpaths.fell_back(fastpaths.SERVER_SEND, self.base_send)
        return self.base_send

    async def send_json(self, message: dict) -> None:
        await self.send_text(encode(message))

    def language(self) -> str:
        """The connection's language: the site's switch (cookie), else Vietnamese, as for pages."""
        chosen = self.scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
        return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    async def receive(self, text_data=None, bytes_data=None):
        with translation.override(self.language()):
            if not self.limiter.allow():
                await self.send_json(ProtocolError("rate_limited").as_message())
                return
            try:
                message = parse(text_data, self.schema)
                await self.handle(message)
            except ProtocolError as error:
                await self.send_json(error.as_message())
