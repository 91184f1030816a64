"""Group commit on the process's writer thread: what arrives within one short tick is written by one call of a
store function (one transaction), and each caller gets its own outcome only after that call returned.

Who uses it: live answers and joins (``live.answer_batch``), and the autosave of timed attempts
(``quizzes.autosave``). Why: their writes arrive as bursts (a stadium answering within two seconds; 200
participants answering 20 questions before a deadline), and written one by one each is a transaction of its
own and a hop to the writer thread and back: on PostgreSQL a commit (an fsync) per write, on SQLite the
transaction's statements, the process lock and the two thread hops per write. Measured in bench/live_round.py,
bench/live_tick.py and bench/quiz_submit.py (docs/benchmarks.md).

This module is mechanics only: when to write and who gets which outcome. What a batch means (which item is
refused, what a duplicate is) is the store function's business; it returns one outcome per item, an
exception standing for an item refused alone, or raises to refuse the whole batch.

How a tick works: the first item of an empty batch starts a timer of ``tick_s``; when it fires, or as soon as
``max_batch`` items wait, the batch goes to the writer. While a batch is being written the next one keeps
filling and is sent as soon as the writer is free: under load batches grow by themselves (classic group
commit) instead of queueing one small transaction per tick. A process that dies between a commit and the
replies loses only the replies: whatever the store committed is stored.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .writer import on_writer

C = TypeVar("C")  # what the items of a batch share (the question's state, the game's id)
I = TypeVar("I")  # noqa: E741 - an item
O = TypeVar("O")  # noqa: E741 - its outcome

Store = Callable[[C, list[I]], list["O | Exception"]]


def _same_error(error: Exception) -> Exception:
    return error


@dataclass
class _Batch(Generic[C, I, O]):
    context: C
    items: list[I] = field(default_factory=list)
    replies: list[asyncio.Future[O]] = field(default_factory=list)


class GroupCommit(Generic[C, I, O]):
    """Batches of one kind in one process: ``await submit(key, context, item)`` → the item's outcome, once
    ``store(context, items)`` has run on the writer thread for its batch (one batch per key and tick).

    ``error_for_each``: the exception each caller gets for a shared one (a batch refused as a whole gives
    every caller the same error; some callers need an instance of their own)."""

    def __init__(
        self,
        store: Store[C, I, O],
        *,
        tick_s: float,
        max_batch: int,
        error_for_each: Callable[[Exception], Exception] = _same_error,
    ):
        self.store = store
        self.tick_s = tick_s
        self.max_batch = max_batch
        self.error_for_each = error_for_each
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
            for batch in batches:  # one per key (a game's question, …); almost always one
                # What filled while the writer was busy can exceed max_batch: written max_batch at a time, so
                # that no transaction holds more rows (and locks) than that.
                for start in range(0, len(batch.items), self.max_batch):
                    items = batch.items[start : start + self.max_batch]
                    try:
                        outcomes: list[O | Exception] | Exception = await on_writer(self.store)(batch.context, items)
                    except Exception as error:  # refused as a whole, or the database failed
                        outcomes = error
                    self._reply(batch.replies[start : start + self.max_batch], outcomes)
        except asyncio.CancelledError:  # the loop is shutting down: nobody is answered
            for batch in batches:
                for reply in batch.replies:
                    reply.cancel()
            raise
        finally:
            self.writing = None
            if self.due:
                self._flush_now()

    def _reply(self, replies: list[asyncio.Future[Any]], outcomes: list[Any] | Exception) -> None:
        for index, reply in enumerate(replies):
            if reply.done():  # the caller's task was cancelled (its socket closed)
                continue
            one = outcomes[index] if isinstance(outcomes, list) else outcomes
            if isinstance(one, Exception):
                reply.set_exception(self.error_for_each(one))
            else:
                reply.set_result(one)


T = TypeVar("T")


class PerLoop(Generic[T]):
    """One ``factory()`` per event loop: a group commit's futures and timers belong to the loop that made
    them (one loop per process under daphne; one per test in the tests)."""

    def __init__(self, factory: Callable[[], T]):
        self.factory = factory
        self._made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        made = self._made.get(loop)
        if made is None:
            made = self._made[loop] = self.factory()
        return made
