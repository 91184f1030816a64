"""The per-process round hub: one encoded message, written to every consumer of a session on this process.

Channels' usual pattern (a group with one channel per player, ``group_send`` to all) costs one channel-
layer message per player per broadcast, and the in-memory layer sweeps every membership on each receive;
at 2,000 players that is the whole latency budget. Here each process joins a session's group once, with
its own hub channel: a broadcast is one channel-layer message per *process*, which the hub encodes once
and writes straight to its local sockets. Per-player parts (a player's own result) are cut out of the one
event by the hub, so nothing is sent per player across processes either.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from channels.layers import get_channel_layer

from .protocol import encode

logger = logging.getLogger(__name__)

WRITE_BATCH = 100
GROUP_REFRESH_S = 1  # a crash-restarted Redis forgets memberships: renewed within a second


def group_name(session_id: int) -> str:
    return f"live-{session_id}"


class Hub:
    def __init__(self):
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.listener: asyncio.Task | None = None
        self.keeper: asyncio.Task | None = None
        self.players: dict[int, dict[int, object]] = {}  # session → player id → consumer
        self.hosts: dict[int, set] = {}  # session → host consumers
        self.states: dict[int, object] = {}  # session → QuestionState of the open question
        self.generations: dict[int, int] = {}  # session → events delivered (a load that spans one is stale)
        self.loading: dict[int, tuple[int, asyncio.Future]] = {}  # session → (generation, the load under way)

    async def _ensure_listening(self) -> None:
        if self.channel is None:
            # The default prefix on purpose: channels_redis pops all of a process's channels from one
            # list named after that prefix, so a channel with another prefix would never be read.
            self.channel = await self.layer.new_channel()
            self.listener = asyncio.create_task(self._listen())
            self.keeper = asyncio.create_task(self._keep_memberships())

    async def _keep_memberships(self) -> None:
        """Re-add this process's channel to the group of every game it serves, every few seconds. A group
        lives in Redis: if Redis restarts empty (a crash, no snapshot) the memberships are gone, and without
        this the process would hear no broadcast again until a new game attached. Adding twice is harmless
        and also renews the membership before channels_redis's group expiry."""
        while True:
            await asyncio.sleep(GROUP_REFRESH_S)
            for session_id in set(self.players) | set(self.hosts):
                try:
                    await self.layer.group_add(group_name(session_id), self.channel)
                except Exception:  # Redis still down: try again at the next round
                    logger.warning("live hub could not renew its group membership; retrying", exc_info=True)
                    break

    async def _listen(self) -> None:
        """Deliver what arrives on the hub's channel, for the life of the process. A failed receive (a
        Redis restart) is retried; the hub must never die, or this process's players would hear nothing."""
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                if asyncio.current_task().cancelling():  # a cancel surfaced as a Redis error: honour it
                    raise asyncio.CancelledError from None
                logger.exception("live hub receive failed; retrying")
                await asyncio.sleep(0.5)
                continue
            try:
                await self._deliver(message["session"], message["event"])
            except Exception:  # one bad delivery must not stop the hub
                logger.exception("live hub delivery failed")

    async def attach(self, session_id: int, consumer, *, player_id: int | None = None) -> None:
        await self._ensure_listening()
        first = session_id not in self.players and session_id not in self.hosts
        if player_id is None:
            self.hosts.setdefault(session_id, set()).add(consumer)
        else:
            previous = self.players.setdefault(session_id, {}).get(player_id)
            if previous is not None and previous is not consumer:
                await previous.replaced()  # the same player on a newer connection
            self.players[session_id][player_id] = consumer
        if first:
            await self.layer.group_add(group_name(session_id), self.channel)

    async def detach(self, session_id: int, consumer, *, player_id: int | None = None) -> None:
        if player_id is None:
            self.hosts.get(session_id, set()).discard(consumer)
        elif self.players.get(session_id, {}).get(player_id) is consumer:
            del self.players[session_id][player_id]
        if not self.players.get(session_id) and not self.hosts.get(session_id):
            self.players.pop(session_id, None)
            self.hosts.pop(session_id, None)
            self.states.pop(session_id, None)
            self.generations.pop(session_id, None)
            self.loading.pop(session_id, None)
            await self.layer.group_discard(group_name(session_id), self.channel)
        if not self.players and not self.hosts and self.listener is not None:
            # Nobody of any game left on this process: stop listening until someone attaches again.
            self.listener.cancel()
            self.keeper.cancel()
            self.listener, self.keeper, self.channel = None, None, None

    async def publish(self, session_id: int, event: dict) -> None:
        """Send an event to every process that has consumers of the session (this one included)."""
        await self._ensure_listening()
        await self.layer.group_send(
            group_name(session_id), {"type": "live.event", "session": session_id, "event": event}
        )

    def local_count(self, session_id: int) -> int:
        return len(self.players.get(session_id, {}))

    async def question_state(self, session_id: int):
        """The open question's state (for checking answers), loaded from the database when this process
        has none: after a restart, or in the moments between a question's fan-out and the hub loading it.
        A load that an event overtook (a reveal, a pause, the next question) is discarded and redone, so
        a stale state is never installed; None when no question is open."""
        from .services import question_state_from_event

        while True:
            state = self.states.get(session_id)
            if state is not None:
                return state
            generation = self.generations.get(session_id, 0)
            # One load per game and event at a time: at 10,000 phones hundreds of answers arrive while the
            # question is still being sent, and each loading the state itself queued hundreds of identical
            # reads on the one database thread.
            pending = self.loading.get(session_id)
            if pending is None or pending[0] != generation:
                pending = (generation, asyncio.ensure_future(question_state_from_event(session_id)))
                self.loading[session_id] = pending
            try:
                loaded = await asyncio.shield(pending[1])
            finally:
                if self.loading.get(session_id) is pending and pending[1].done():
                    del self.loading[session_id]
            if self.generations.get(session_id, 0) == generation:
                if loaded is None:
                    return None
                return self.states.setdefault(session_id, loaded)

    async def _deliver(self, session_id: int, event: dict) -> None:
        from .services import question_state_from_event

        self.generations[session_id] = self.generations.get(session_id, 0) + 1
        kind = event["type"]
        if kind in ("question", "reveal", "ended"):
            # A new question's state (for checking answers) is loaded after the phones have it, so that
            # the fan-out starts at once; an answer arriving in between loads it itself (PlayerConsumer).
            self.states.pop(session_id, None)
        elif kind in ("paused", "resumed", "time_up"):
            state = self.states.get(session_id)
            if state is not None:
                await question_state_from_event(session_id, into=state)
        host_text = encode(_without(event, "results"))
        for host in list(self.hosts.get(session_id, ())):
            await host.send_text(host_text)
        players = self.players.get(session_id, {})
        if kind == "kicked":
            target = players.get(event["player"])
            if target is not None:
                await target.kicked()
            return
        if kind in ("reveal", "ended"):
            await self._send_personal(players, event)
            return
        if kind in ("locked",):
            return
        text, prepared = encode(event), {}
        for count, consumer in enumerate(list(players.values()), start=1):
            await consumer.send_broadcast(text, prepared)
            await _let_writes_out(count)
        if kind == "question":
            await self.question_state(session_id)

    async def _send_personal(self, players: dict, event: dict) -> None:
        """Each player's own result, spliced onto the shared part encoded once: the shared part (answer
        distribution, top 10) is most of the message, and encoding it per player made the reveal the
        slowest broadcast of a question at 2,000 players."""
        shared = _without(event, "results")
        if event["type"] == "reveal":
            shared["type"] = "result"
        head = encode(shared)[:-1]  # without its closing brace
        results = event.get("results", {})
        for count, (player_id, consumer) in enumerate(list(players.items()), start=1):
            mine = results.get(str(player_id))
            await consumer.send_text(head + _personal_tail(event["type"], mine))
            await _let_writes_out(count)


async def _let_writes_out(count: int) -> None:
    """Every ``WRITE_BATCH`` sends, give the event loop a turn. A send only queues the frame: the server
    writes it to the socket when the loop runs, so without a turn the first phone would get the question
    only once the last one's frame was queued (about 50 ms at 2,000 phones)."""
    if count % WRITE_BATCH == 0:
        await asyncio.sleep(0)


def _personal_tail(kind: str, mine: list | None) -> str:
    """The player's own fields as the end of a JSON object (``,"score":…}``), or just the closing brace."""
    if not mine:
        return "}"
    if kind == "reveal":
        own = {"right": bool(mine[0]), "points": mine[1], "score": mine[2], "rank": mine[3], "streak": mine[4]}
    else:
        own = {"score": mine[0], "rank": mine[1]}
    return "," + encode(own)[1:]


def _without(event: dict, key: str) -> dict:
    return {k: v for k, v in event.items() if k != key}


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_hub() -> Hub:
    """The hub of the running event loop (one per process under daphne; one per test loop in tests)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub
