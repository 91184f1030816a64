"""The projector's socket of a live game (``/ws/live/host/<id>/``)."""

from __future__ import annotations

import asyncio
import contextlib

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from contest_site.ratelimit import RateLimit
from contest_site.writer import on_writer

from .. import payloads, services
from ..hub import get_hub
from ..models import LiveSession
from ..protocol import HOST_MESSAGES, ProtocolError
from ..selectors import access_session_for_host
from ..transport import LiveConsumer

TICK_S = 0.3


class HostConsumer(LiveConsumer):
    """``/ws/live/host/<session_id>/``: the projector. Only whom ``access_session_for_host`` lets in (the
    session's host, an organiser of the quiz's organisation) connects; every command is checked again."""

    schema = HOST_MESSAGES

    async def connect(self):
        self.limiter = RateLimit(rate=10, burst=20)
        self.session_id = self.scope["url_route"]["kwargs"]["session_id"]
        user = self.scope.get("user") or AnonymousUser()
        try:
            await database_sync_to_async(access_session_for_host)(user=user, session_id=self.session_id)
        except Http404:
            await self.close(code=4403)
            return
        await self.accept()
        await get_hub().attach(self.session_id, self)
        await self.send_json(await database_sync_to_async(payloads.host_snapshot)(self.session_id))
        self.ticker = asyncio.create_task(self._tick())

    async def disconnect(self, code):
        ticker = getattr(self, "ticker", None)
        if ticker is not None:
            ticker.cancel()
            await get_hub().detach(self.session_id, self)

    async def handle(self, message: dict) -> None:
        """One route per command, to its named service; on the writer thread too, whose kept connection
        starts the next question's fan-out a reconnect sooner."""
        session = {"session_id": self.session_id}
        match message:
            case {"type": "ping"}:
                return await self.send_json({"type": "pong"})
            case {"type": "start"}:
                event = await on_writer(services.session_start)(**session)
            case {"type": "next"}:
                event = await on_writer(services.question_next)(**session)
            case {"type": "skip"}:
                event = await on_writer(services.question_skip)(**session)
            case {"type": "pause"}:
                event = await on_writer(services.question_pause)(**session)
            case {"type": "resume"}:
                event = await on_writer(services.question_resume)(**session)
            case {"type": "reveal"}:
                event = await on_writer(services.question_reveal)(**session)
            case {"type": "leaderboard"}:
                event = await on_writer(services.leaderboard_show)(**session)
            case {"type": "end"}:
                event = await on_writer(services.session_end)(**session)
            case {"type": "kick", "player": player}:
                event = await on_writer(services.player_kick)(**session, player=player)
            case {"type": "lock", "locked": locked}:
                event = await on_writer(services.session_lock)(**session, locked=locked)
            case _:
                raise ProtocolError("unknown_type")
        if event is not None:
            await get_hub().publish(self.session_id, event)

    async def _tick(self) -> None:
        """Throttled live view (``services.host_view``, at most every 0.3 s whatever the arrival rate): the
        lobby's players, a question's answer count, and its reveal once ``services.reveal_due`` says so."""
        seen_players, seen_count = None, None
        try:
            while True:
                await asyncio.sleep(TICK_S)
                view = await database_sync_to_async(services.host_view)(self.session_id, timezone.now())
                if view["state"] == LiveSession.State.LOBBY and view["players_key"] != seen_players:
                    seen_players = view["players_key"]
                    await self.send_json({"type": "players", "players": view["players"], "total": view["total"]})
                elif view["state"] == LiveSession.State.QUESTION:
                    if (view["index"], view["answered"], view["total"]) != seen_count:
                        seen_count = (view["index"], view["answered"], view["total"])
                        count = {"index": view["index"], "answered": view["answered"], "players": view["total"]}
                        await self.send_json({"type": "answer_count", **count})
                    if view["due"]:
                        with contextlib.suppress(ProtocolError):  # another host screen revealed it first
                            await self.handle({"type": "reveal"})
        except asyncio.CancelledError:
            pass
