"""The phone's socket of a live game (``/ws/live/<pin>/``)."""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from django.utils import timezone, translation

from contest_site.ratelimit import RateLimit
from contests.invites import scope_may_enter_round

from .. import services
from ..answer_batch import get_batches
from ..hub import get_hub
from ..models import LiveSession
from ..protocol import PLAYER_MESSAGES, ProtocolError
from ..transport import LiveConsumer


class PlayerConsumer(LiveConsumer):
    """``/ws/live/<pin>/``: a phone in a game. Join (nickname) or rejoin (signed token), then answer."""

    schema = PLAYER_MESSAGES

    async def connect(self):
        self.limiter = RateLimit(rate=5, burst=10)
        self.player_id = None
        # Guessing PINs over the socket counts against the same per-address limit as the join page.
        address = (self.scope.get("client") or ["?"])[0]
        # Not through sync_to_async: Django's cache handler is context-local, and a call in the socket's copied
        # context gave every socket a cache client, and so a Redis connection, of its own (10,000 phones
        # reached Redis's maxclients). The loop's executor threads keep one client each.
        guessing = await asyncio.get_running_loop().run_in_executor(None, services.pin_guessing, address)
        self.session = None if guessing else await database_sync_to_async(self._running_session)(address)
        self.refused = ("pin_guessing" if guessing else "ended") if self.session is None else None
        await self.accept()
        if self.refused is not None:
            with translation.override(self.language()):
                await self.send_json(ProtocolError(self.refused).as_message())
            await self.close(code=4429 if guessing else 4404)

    def _running_session(self, address: str) -> LiveSession | None:
        """The running game of the PIN, if this connection may enter its round (invite-only events); a wrong
        PIN counts against the address."""
        pin = self.scope["url_route"]["kwargs"]["pin"]
        session = LiveSession.objects.filter(pin=pin).exclude(state=LiveSession.State.ENDED).first()
        if session is not None and not scope_may_enter_round(self.scope, session.round_id):
            session = None  # a game of an invite-only event: as if no game ran with that PIN
        if session is None:
            services.wrong_pin(address)
        return session

    async def disconnect(self, code):
        if getattr(self, "session", None) is not None and self.player_id is not None:
            await get_hub().detach(self.session.pk, self, player_id=self.player_id)

    async def handle(self, message: dict) -> None:
        if self.refused is not None:  # frames already in flight to a socket refused at connect, now closing
            raise ProtocolError(self.refused)
        match message:
            case {"type": "ping"}:
                await self.send_json({"type": "pong"})
            case {"type": "join" | "rejoin"}:
                await self.enter(message)
            case {"type": "answer"}:
                await self.answer(message)

    async def enter(self, message: dict) -> None:
        if self.player_id is not None:
            raise ProtocolError("already_joined")
        # Joins come in waves (a class typing the PIN at once): a tick's joins are one INSERT on the writer
        # thread, their welcomes one read of the game (answer_batch). The phone is attached to the hub before
        # the game's state is read for its reply, so an event published in between is either in that state
        # or delivered to it.
        batches = get_batches()
        if message["type"] == "join":
            request = services.JoinRequest(message.get("nickname"), self.scope.get("user"))
            player = await batches.joins.submit(self.session.pk, self.session.pk, request)
        else:
            player = await batches.rejoins.submit(self.session.pk, self.session.pk, message["token"])
        self.player_id = player.pk
        await get_hub().attach(self.session.pk, self, player_id=player.pk)
        await self.send_json(await batches.welcomes.submit(self.session.pk, self.session.pk, (player, self.language())))

    async def answer(self, message: dict) -> None:
        if self.player_id is None:
            raise ProtocolError("not_joined")
        state = await get_hub().question_state(self.session.pk)
        if state is None:
            raise ProtocolError("no_question")
        # Checked here, in memory (a bad answer is refused alone); stored with the other answers of the same
        # tick in one transaction on the writer thread, and acknowledged only once that has committed.
        index = message["question"]
        answer = services.answer_check(
            state=state, player_id=self.player_id, index=index, response=message["response"], now=timezone.now()
        )
        fresh = answer is not None and await get_batches().answers.answer(state, answer)
        await self.send_json({"type": "answer_received", "index": index, "duplicate": not fresh})

    async def kicked(self) -> None:
        with translation.override(self.language()):
            await self.send_json(ProtocolError("kicked").as_message())
        await self.close(code=4403)

    async def replaced(self) -> None:
        await self.send_json({"type": "replaced"})
        await self.close(code=4409)
