"""Group commit of live answers: the answers a process receives within one short tick are stored in one
transaction, and each phone is acknowledged only after that commit.

Why: a question's answers arrive as a burst (a stadium answers within two seconds). Stored one by one, each
answer is a transaction of its own on the process's single writer thread: on PostgreSQL a commit, so an
fsync, per answer — 2,000 phones on two processes waited 3.5 s at p95 for "answer received". Grouped, a
tick's answers cost one row check and one multi-row INSERT (``services.answers_store``).

This module is mechanics only: when to write and who gets which reply. The game's rules (which answer is
refused, what a duplicate is) are ``services.answer_check`` (in memory, on the event loop, before an answer
joins a batch: a bad answer is refused alone) and ``services.answers_store`` (in the database).

How a tick works: the first answer of an empty batch starts a timer of ``TICK_S``; when it fires, or as soon
as ``MAX_BATCH`` answers wait, the batch goes to the writer. While a batch is being written the next one
keeps filling, and is sent as soon as the writer is free: under load the batches grow by themselves (classic
group commit) instead of queueing one small transaction per tick. A process that dies between a commit and
the acknowledgements loses only the replies: the answers are stored, and a phone that rejoins is told it
answered (``answered`` in ``joined``); resending is harmless (a duplicate).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError, connection

from quizzes.autosave import _writer as writer_thread

from . import services
from .models import LiveAnswer
from .protocol import ProtocolError

TICK_S = 0.01  # the longest an answer waits for others before its batch is written (10 ms)
MAX_BATCH = 500  # a batch this large is written at once

# Called on the writer thread right after a batch committed, before any acknowledgement: lets a fault test
# kill the process at the worst moment (tests/faults/test_live_killed_after_commit.py). None in production.
after_commit: Callable[[list[LiveAnswer]], None] | None = None


@dataclass
class _Batch:
    state: services.QuestionState
    answers: list[LiveAnswer] = field(default_factory=list)
    replies: list[asyncio.Future[bool]] = field(default_factory=list)


class AnswerBatcher:
    """The batches of one process (one per event loop): ``await submit(state, answer)`` → stored or duplicate."""

    def __init__(self, *, tick_s: float | None = None, max_batch: int | None = None):
        self.tick_s = TICK_S if tick_s is None else tick_s
        self.max_batch = MAX_BATCH if max_batch is None else max_batch
        self.filling: dict[tuple[int, int], _Batch] = {}  # (session, question index) → the batch filling
        self.timer: asyncio.TimerHandle | None = None
        self.writing: asyncio.Task[None] | None = None
        self.due = False  # the tick ended (or a batch filled up) while the writer was busy

    async def submit(self, state: services.QuestionState, answer: LiveAnswer) -> bool:
        """Queue a checked answer (``services.answer_check``) for the next commit; True once stored, False if
        the player had already answered; ProtocolError if refused at the commit (the question closed)."""
        loop = asyncio.get_running_loop()
        batch = self.filling.get((state.session_id, state.index))
        if batch is None or batch.state is not state:
            if batch is not None:  # the question was reloaded meanwhile (a pause): keep the two apart
                self._flush_now()
            batch = self.filling.setdefault((state.session_id, state.index), _Batch(state))
        reply: asyncio.Future[bool] = loop.create_future()
        batch.answers.append(answer)
        batch.replies.append(reply)
        if len(batch.answers) >= self.max_batch:
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

    async def _write(self, batches: list[_Batch]) -> None:
        try:
            for batch in batches:  # one per game and question; almost always one
                try:
                    outcome: list[services.Outcome] | Exception = await _on_writer_keeping_connection(batch)
                except Exception as error:  # refused as a whole (the question closed), or the database failed
                    outcome = error
                _reply(batch, outcome)
        except asyncio.CancelledError:  # the loop is shutting down: nobody is acknowledged
            for batch in batches:
                for reply in batch.replies:
                    reply.cancel()
            raise
        finally:
            self.writing = None
            if self.due:
                self._flush_now()


async def _on_writer_keeping_connection(batch: _Batch) -> list[services.Outcome]:
    """``_store`` on the process's writer thread (``quizzes.autosave.on_writer``'s, so that joins, host
    commands and answers still never write at once), without handing the connection back to the pool after
    each batch as ``on_writer`` does on PostgreSQL: a pool checkout and return cost 0.3-0.8 ms, a batch's
    transaction about as much, and a burst is hundreds of batches. The next ``on_writer`` call returns it;
    a connection broken by a database restart is reopened once, as ``on_writer`` does."""

    def kept() -> list[services.Outcome]:
        try:
            return _store(batch)
        except (OperationalError, InterfaceError):
            connection.close()
            return _store(batch)

    return await asyncio.get_running_loop().run_in_executor(writer_thread, kept)


def _store(batch: _Batch) -> list[services.Outcome]:
    """On the writer thread: the batch in one transaction, then the test hook (``after_commit``)."""
    outcomes = services.answers_store(state=batch.state, answers=batch.answers)
    if after_commit is not None:
        after_commit(batch.answers)
    return outcomes


def _reply(batch: _Batch, outcome: list[services.Outcome] | Exception) -> None:
    for index, reply in enumerate(batch.replies):
        if reply.done():  # the phone's task was cancelled (its socket closed)
            continue
        one = outcome[index] if isinstance(outcome, list) else outcome
        if isinstance(one, ProtocolError):
            reply.set_exception(ProtocolError(one.code))  # an exception of its own for each phone
        elif isinstance(one, Exception):
            reply.set_exception(one)
        else:
            reply.set_result(one)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AnswerBatcher] = weakref.WeakKeyDictionary()


def get_batcher() -> AnswerBatcher:
    """The batcher of the running event loop (one per process under daphne; one per test loop in tests)."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = AnswerBatcher()
    return batcher
