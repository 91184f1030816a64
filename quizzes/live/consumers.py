"""WebSocket consumers of live sessions: thin. Parse (protocol.parse), authorise, call a service through
``database_sync_to_async``, publish the resulting event through the hub (after the service committed)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from functools import cached_property, partial

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.sessions import InstanceSessionWrapper
from django.conf import settings
from django.utils import timezone, translation

from contest_site import fastpaths
from contest_site.consumers import LeanConsumer
from contests.invites import scope_may_enter_round

from ..autosave import on_writer
from . import services
from .hub import get_hub
from .protocol import HOST_MESSAGES, PLAYER_MESSAGES, ProtocolError, encode, parse

TICK_S = 0.3


class RateLimit:
    """A token bucket per connection: ``rate`` messages a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst, self.tokens, self.at = rate, burst, float(burst), time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


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


class PlayerConsumer(LiveConsumer):
    """``/ws/live/<pin>/``: a phone in a game. Join (nickname) or rejoin (signed token), then answer."""

    schema = PLAYER_MESSAGES

    async def connect(self):
        self.limiter = RateLimit(rate=5, burst=10)
        self.player_id = None
        self.session = None
        # Guessing PINs over the socket counts against the same per-address limit as the join page.
        address = (self.scope.get("client") or ["?"])[0]
        guessing = await sync_to_async(services.pin_guessing, thread_sensitive=False)(address)  # cache only
        if not guessing:
            self.session = (
                await services.LiveSession.objects.filter(pin=self.scope["url_route"]["kwargs"]["pin"])
                .exclude(state=services.LiveSession.State.ENDED)
                .afirst()
            )
            if self.session and not await database_sync_to_async(scope_may_enter_round)(
                self.scope, self.session.round_id
            ):
                self.session = None  # a game of an invite-only event: as if no game ran with that PIN
            if self.session is None:
                await database_sync_to_async(services.wrong_pin)(address)
        await self.accept()
        if self.session is None:
            with translation.override(self.language()):
                await self.send_json(ProtocolError("pin_guessing" if guessing else "ended").as_message())
            await self.close(code=4429 if guessing else 4404)

    async def disconnect(self, code):
        if getattr(self, "session", None) is not None and self.player_id is not None:
            await get_hub().detach(self.session.pk, self, player_id=self.player_id)

    async def handle(self, message: dict) -> None:
        kind = message["type"]
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind in ("join", "rejoin"):
            if self.player_id is not None:
                raise ProtocolError("already_joined")
            # Joins come in waves (a class typing the PIN at once): on the writer thread with its kept
            # connection. The phone is attached to the hub before the game's state is read for its reply,
            # so an event published in between is either in that state or delivered to it.
            player = await on_writer(_enter)(
                session=self.session,
                nickname=message.get("nickname") if kind == "join" else None,
                token=message["token"] if kind == "rejoin" else None,
                user=self.scope.get("user"),
            )
            self.player_id = player.pk
            await get_hub().attach(self.session.pk, self, player_id=player.pk)
            await self.send_json(await on_writer(_joined_message)(player, language=self.language()))
        elif kind == "answer":
            if self.player_id is None:
                raise ProtocolError("not_joined")
            state = await get_hub().question_state(self.session.pk)
            if state is None:
                raise ProtocolError("no_question")
            # The answer burst of a question (everyone within seconds) goes through the process's single writer
            # thread with its reused connection, as autosaves do: no reconnect and no lock wait per answer.
            fresh = await on_writer(services.answer_submit)(
                state=state,
                player_id=self.player_id,
                index=message["question"],
                response=message["response"],
                now=timezone.now(),
            )
            await self.send_json({"type": "answer_received", "index": message["question"], "duplicate": not fresh})

    async def kicked(self) -> None:
        with translation.override(self.language()):
            await self.send_json(ProtocolError("kicked").as_message())
        await self.close(code=4403)

    async def replaced(self) -> None:
        await self.send_json({"type": "replaced"})
        await self.close(code=4409)


def _enter(*, session, nickname, token, user):
    """Join with a nickname, or rejoin with a token."""
    if token is None:
        return services.player_join(session=session, nickname=nickname, user=user)
    return services.player_rejoin(session=session, token=token)


def _joined_message(player, *, language: str | None = None) -> dict:
    """What a (re)joining phone needs: who it is, its token, where the game stands now, and a note when its
    score will not count for the live round (in the phone's language)."""
    session = services.LiveSession.objects.select_related("quiz", "round__event").get(pk=player.session_id)
    with translation.override(language or settings.LANGUAGE_CODE):
        note = services.player_note(session, player, timezone.now())
    message = {
        "type": "joined",
        "player": player.pk,
        "nickname": player.nickname,
        "score": player.score,
        "token": services.player_token(player),
        "state": session.state,
        "count": len(session.question_ids),
        "index": session.current_index,
        "note": note,
    }
    message.update(services.player_standing(session, player))
    if session.state == services.LiveSession.State.REVEAL:
        message["reveal"] = services.reveal_snapshot(session)
    elif session.state == services.LiveSession.State.LEADERBOARD:
        message["leaderboard"] = services.leaderboard_event(session)
    if session.state == services.LiveSession.State.QUESTION:
        now = timezone.now()
        message["question"] = services.question_payload(
            session, services._question(session, session.current_index), now
        )
        message["answered"] = services.LiveAnswer.objects.filter(
            player=player, question_index=session.current_index
        ).exists()
    return message


class HostConsumer(LiveConsumer):
    """``/ws/live/host/<session_id>/``: the projector. Only the session's host or an organiser of the quiz's
    organisation may connect; every command is checked again on the server."""

    schema = HOST_MESSAGES

    async def connect(self):
        self.limiter = RateLimit(rate=10, burst=20)
        self.session_id = self.scope["url_route"]["kwargs"]["session_id"]
        user = self.scope.get("user")
        allowed = (
            user is not None
            and user.is_authenticated
            and await database_sync_to_async(_may_host)(user, self.session_id)
        )
        if not allowed:
            await self.close(code=4403)
            return
        await self.accept()
        await get_hub().attach(self.session_id, self)
        await self.send_json(await database_sync_to_async(host_snapshot)(self.session_id))
        self.ticker = asyncio.create_task(self._tick())

    async def disconnect(self, code):
        ticker = getattr(self, "ticker", None)
        if ticker is not None:
            ticker.cancel()
            await get_hub().detach(self.session_id, self)

    async def handle(self, message: dict) -> None:
        kind = message["type"]
        if kind == "ping":
            await self.send_json({"type": "pong"})
            return
        args = {k: v for k, v in message.items() if k not in ("type", "id")}
        # On the writer thread too: its kept connection starts the next question's fan-out a reconnect sooner.
        event = await on_writer(services.host_command)(session_id=self.session_id, command=kind, **args)
        if event is not None:
            await get_hub().publish(self.session_id, event)

    async def _tick(self) -> None:
        """Throttled live view: player list in the lobby, answer count during a question (at most every
        0.3 s, whatever the arrival rate), and the automatic reveal once the buzzer's grace is over (answers
        in the grace are scored) or when all answered."""
        seen_players, seen_count = None, None
        try:
            while True:
                await asyncio.sleep(TICK_S)
                view = await database_sync_to_async(_host_view)(self.session_id)
                if view["state"] == "lobby" and view["players_key"] != seen_players:
                    seen_players = view["players_key"]
                    await self.send_json({"type": "players", "players": view["players"], "total": view["total"]})
                elif view["state"] == "question":
                    if (view["index"], view["answered"], view["total"]) != seen_count:
                        seen_count = (view["index"], view["answered"], view["total"])
                        await self.send_json(
                            {
                                "type": "answer_count",
                                "index": view["index"],
                                "answered": view["answered"],
                                "players": view["total"],
                            }
                        )
                    if view["due"]:
                        with contextlib.suppress(ProtocolError):  # another host screen revealed it first
                            await self.handle({"type": "reveal"})
        except asyncio.CancelledError:
            pass


def _may_host(user, session_id: int) -> bool:
    from contests.selectors import organisations_organised_by

    session = services.LiveSession.objects.select_related("quiz").filter(pk=session_id).first()
    if session is None:
        return False
    return (
        session.host_id == user.pk or organisations_organised_by(user).filter(pk=session.quiz.organisation_id).exists()
    )


MAX_LISTED_PLAYERS = 300


def _host_view(session_id: int) -> dict:
    session = services.LiveSession.objects.get(pk=session_id)
    players = session.players.filter(kicked=False)
    total = players.count()
    view = {"state": session.state, "total": total, "index": session.current_index}
    if session.state == "lobby":
        newest = list(players.order_by("-joined_at").values("id", "nickname")[:MAX_LISTED_PLAYERS])
        view["players"] = newest[::-1]
        view["players_key"] = (total, newest[0]["id"] if newest else None)
    elif session.state == "question":
        answered = services.answer_count(session_id=session_id, index=session.current_index)
        view["answered"] = answered
        deadline = session.question_deadline
        view["due"] = services.reveal_due(deadline=deadline, answered=answered, players=total, now=timezone.now())
    return view


def host_snapshot(session_id: int) -> dict:
    """Everything the projector needs after (re)connecting: the host resumes where the game stands."""
    session = services.LiveSession.objects.select_related("quiz").get(pk=session_id)
    snapshot = {
        "type": "state",
        "session": session.pk,
        "pin": session.pin,
        "state": session.state,
        "locked": session.locked,
        "index": session.current_index,
        "count": len(session.question_ids),
        "players": services.players_snapshot(session)[:MAX_LISTED_PLAYERS],
        "total": session.players.filter(kicked=False).count(),
    }
    if session.state == "question":
        snapshot["question"] = services.question_payload(
            session, services._question(session, session.current_index), timezone.now()
        )
        snapshot["answered"] = services.answer_count(session_id=session.pk, index=session.current_index)
    elif session.state == "reveal":
        snapshot["reveal"] = services.reveal_snapshot(session)
    elif session.state == "leaderboard":
        snapshot["leaderboard"] = services.leaderboard_event(session)
    elif session.state == "ended":
        snapshot["podium"] = services.podium(session)
    return snapshot
