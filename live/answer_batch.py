"""Group commit of live answers and joins: what a process receives within one short tick is written in one
transaction, and each phone gets its reply only after that commit.

Why: a question's answers arrive as a burst (a stadium answers within two seconds), and a game's joins as a
wave (a hall typing the PIN). Written one by one, each is a transaction of its own on the process's single
writer thread: on PostgreSQL a commit, so an fsync, per answer — 2,000 phones on two processes waited 3.5 s
at p95 for "answer received". Grouped, a tick's answers cost one row check and one multi-row INSERT
(``services.answers_store``), a tick's joins one INSERT (``services.players_join``) and their welcomes one
read of the game (``payloads.joined_messages``). bench/live_tick.py measures a tick; docs/live-protocol.md.

This module is mechanics only: when to write and who gets which reply. The game's rules (which answer is
refused, what a duplicate is, which nickname is taken) are in ``services``; an answer is checked there in
memory (``answer_check``) before it joins a batch, so a bad answer is refused alone.

How a tick works: the first item of an empty batch starts a timer of ``TICK_S``; when it fires, or as soon
as ``MAX_BATCH`` items wait, the batch goes to the writer. While a batch is being written the next one keeps
filling and is sent as soon as the writer is free: under load batches grow by themselves (classic group
commit) instead of queueing one small transaction per tick. A process that dies between a commit and the
replies loses only the replies: the answers are stored, and a phone that rejoins is told it answered
(``answered`` in ``joined``); sending again is harmless (a duplicate).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from contest_site.writer import on_writer

from . import payloads, services
from .models import LiveAnswer, LivePlayer
from .protocol import ProtocolError

TICK_S = 0.01  # the longest an item waits for others before its batch is written (10 ms)
MAX_BATCH = 500  # a batch this large is written at once

# Called on the writer thread right after a batch of answers committed, before any acknowledgement: lets a
# fault test kill the process at the worst moment (tests/faults/test_live_killed_after_commit.py).
after_commit: Callable[[list[LiveAnswer]], None] | None = None

C = TypeVar("C")  # what the items of a batch share (the question's state, the game's id)
I = TypeVar("I")  # noqa: E741 - an item
O = TypeVar("O")  # noqa: E741 - its outcome

Store = Callable[[C, list[I]], list["O | Exception"]]


@dataclass
class _Batch(Generic[C, I, O]):
    context: C
    items: list[I] = field(default_factory=list)
    replies: list[asyncio.Future[O]] = field(default_factory=list)


class GroupCommit(Generic[C, I, O]):
    """Batches of one kind in one process: ``await submit(key, context, item)`` → the item's outcome, once
    ``store(context, items)`` has run on the writer thread for its batch (one batch per key and tick)."""

    def __init__(self, store: Store[C, I, O], *, tick_s: float | None = None, max_batch: int | None = None):
        self.store = store
        self.tick_s = TICK_S if tick_s is None else tick_s
        self.max_batch = MAX_BATCH if max_batch is None else max_batch
        self.filling: dict[Hashable, _Batch[C, I, O]] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.writing: asyncio.Task[None] | None = None
        self.due = False  # the tick ended (or a batch filled up) while the writer was busy

    async def submit(self, key: Hashable, context: C, item: I) -> O:
        loop = asyncio.get_running_loop()
        batch = self.filling.get(key)
        if batch is not None and batch.context is not context and batch.context != context:  # a reloaded state
            self._flush_now()
            batch = self.filling.get(key)
        if batch is None:
            batch = self.filling[key] = _Batch(context)
        reply: asyncio.Future[O] = loop.create_future()
        batch.items.append(item)
        batch.replies.append(reply)
        if len(batch.items) >= self.max_batch:
            self._flush_now()
        elif self.timer is None:
            self.timer = loop.call_later(self.tick_s, self._flush_now)
        return await reply

    def _flush_now(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.writing is not None:
            self.due = True  # sent as soon as the batch being written has committed
            return
        batches, self.filling, self.due = list(self.filling.values()), {}, False
        if batches:
            self.writing = asyncio.get_running_loop().create_task(self._write(batches))

    async def _write(self, batches: list[_Batch[C, I, O]]) -> None:
        try:
            for batch in batches:  # one per game (and question); almost always one
                try:
                    outcomes: list[O | Exception] | Exception = await on_writer(self.store)(batch.context, batch.items)
                except Exception as error:  # refused as a whole (the question closed), or the database failed
                    outcomes = error
                _reply(batch.replies, outcomes)
        except asyncio.CancelledError:  # the loop is shutting down: nobody is answered
            for batch in batches:
                for reply in batch.replies:
                    reply.cancel()
            raise
        finally:
            self.writing = None
            if self.due:
                self._flush_now()


def _reply(replies: list[asyncio.Future[Any]], outcomes: list[Any] | Exception) -> None:
    for index, reply in enumerate(replies):
        if reply.done():  # the phone's task was cancelled (its socket closed)
            continue
        one = outcomes[index] if isinstance(outcomes, list) else outcomes
        if isinstance(one, ProtocolError):
            reply.set_exception(ProtocolError(one.code))  # an exception of its own for each phone
        elif isinstance(one, Exception):
            reply.set_exception(one)
        else:
            reply.set_result(one)


# --- The three kinds -----------------------------------------------------------------------------------


def _store_answers(state: services.QuestionState, answers: list[LiveAnswer]) -> list[services.Outcome | Exception]:
    outcomes: list[services.Outcome | Exception] = list(services.answers_store(state=state, answers=answers))
    if after_commit is not None:
        after_commit(answers)
    return outcomes


def _join(session_id: int, requests: list[services.JoinRequest]) -> list[LivePlayer | Exception]:
    return list(services.players_join(session_id=session_id, requests=requests))


def _welcome(session_id: int, phones: list[tuple[LivePlayer, str | None]]) -> list[dict[str, Any] | Exception]:
    return list(payloads.joined_messages(phones))


class AnswerBatcher(GroupCommit[services.QuestionState, LiveAnswer, bool]):
    """Answers checked by ``services.answer_check``: True once stored, False if the player had already
    answered; ProtocolError if refused at the commit (the question closed, or a deadline moved earlier)."""

    def __init__(self, *, tick_s: float | None = None, max_batch: int | None = None):
        super().__init__(_store_answers, tick_s=tick_s, max_batch=max_batch)

    async def answer(self, state: services.QuestionState, answer: LiveAnswer) -> bool:
        return await self.submit((state.session_id, state.index), state, answer)


@dataclass
class Batches:
    """The group commits of one process (one set per event loop)."""

    answers: AnswerBatcher = field(default_factory=AnswerBatcher)
    joins: GroupCommit[int, services.JoinRequest, LivePlayer] = field(default_factory=lambda: GroupCommit(_join))
    welcomes: GroupCommit[int, tuple[LivePlayer, str | None], dict[str, Any]] = field(
        default_factory=lambda: GroupCommit(_welcome)
    )


_batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Batches] = weakref.WeakKeyDictionary()


def get_batches() -> Batches:
    """The batches of the running event loop (one per process under daphne; one per test loop in tests)."""
    loop = asyncio.get_running_loop()
    batches = _batches.get(loop)
    if batches is None:
        batches = _batches[loop] = Batches()
    return batches
