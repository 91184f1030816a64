"""Group commit of live answers and joins: what a process receives within one short tick is written in one
transaction, and each phone gets its reply only after that commit.

Why: a question's answers arrive as a burst (a stadium answers within two seconds), and a game's joins as a
wave (a hall typing the PIN). Written one by one, each is a transaction of its own on the process's single
writer thread: on PostgreSQL a commit, so an fsync, per answer — 2,000 phones on two processes waited 3.5 s
at p95 for "answer received". Grouped, a tick's answers cost one row check and one multi-row INSERT
(``services.answers_store``), a tick's joins one INSERT (``services.players_join``), its rejoins (a server
gone, its phones back on another) one read (``services.players_rejoin``), and their welcomes one read of
the game (``payloads.joined_messages``). bench/live_tick.py measures a tick; docs/live-protocol.md.

The mechanics (the tick, the batch that fills while another is written) are ``contest_site.group_commit``;
this module says what a batch of each kind stores. The game's rules (which answer is
refused, what a duplicate is, which nickname is taken) are in ``services``; an answer is checked there in
memory (``answer_check``) before it joins a batch, so a bad answer is refused alone.

A tick here is ``TICK_S`` or ``MAX_BATCH`` answers. A process that dies between a commit and the replies
loses only the replies: the answers are stored, and a phone that rejoins is told it answered (``answered``
in ``joined``); sending again is harmless (a duplicate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contest_site.group_commit import GroupCommit, PerLoop

from . import payloads, services
from .models import LiveAnswer, LivePlayer
from .protocol import ProtocolError

TICK_S = 0.01  # the longest an item waits for others before its batch is written (10 ms)
MAX_BATCH = 500  # a batch this large is written at once

# Called on the writer thread right after a batch of answers committed, before any acknowledgement: lets a
# fault test kill the process at the worst moment (tests/faults/test_live_killed_after_commit.py).
after_commit: Callable[[list[LiveAnswer]], None] | None = None

# --- The three kinds -----------------------------------------------------------------------------------


def _store_answers(state: services.QuestionState, answers: list[LiveAnswer]) -> list[services.Outcome | Exception]:
    outcomes: list[services.Outcome | Exception] = list(services.answers_store(state=state, answers=answers))
    if after_commit is not None:
        after_commit(answers)
    return outcomes


def _join(session_id: int, requests: list[services.JoinRequest]) -> list[LivePlayer | Exception]:
    return list(services.players_join(session_id=session_id, requests=requests))


def _rejoin(session_id: int, tokens: list[str]) -> list[LivePlayer | Exception]:
    return list(services.players_rejoin(session_id=session_id, tokens=tokens))


def _welcome(session_id: int, phones: list[tuple[LivePlayer, str | None]]) -> list[dict[str, Any] | Exception]:
    return list(payloads.joined_messages(phones))


def _own_error(error: Exception) -> Exception:
    """A phone's own instance of a shared refusal (the batch refused as a whole)."""
    return ProtocolError(error.code) if isinstance(error, ProtocolError) else error


def _group(store):
    return GroupCommit(store, tick_s=TICK_S, max_batch=MAX_BATCH, error_for_each=_own_error)


class AnswerBatcher(GroupCommit[services.QuestionState, LiveAnswer, bool]):
    """Answers checked by ``services.answer_check``: True once stored, False if the player had already
    answered; ProtocolError if refused at the commit (the question closed, or a deadline moved earlier)."""

    def __init__(self, *, tick_s: float | None = None, max_batch: int | None = None):
        super().__init__(
            _store_answers,
            tick_s=TICK_S if tick_s is None else tick_s,
            max_batch=MAX_BATCH if max_batch is None else max_batch,
            error_for_each=_own_error,
        )

    async def answer(self, state: services.QuestionState, answer: LiveAnswer) -> bool:
        return await self.submit((state.session_id, state.index), state, answer)


@dataclass
class Batches:
    """The group commits of one process (one set per event loop)."""

    answers: AnswerBatcher = field(default_factory=AnswerBatcher)
    joins: GroupCommit[int, services.JoinRequest, LivePlayer] = field(default_factory=lambda: _group(_join))
    rejoins: GroupCommit[int, str, LivePlayer] = field(default_factory=lambda: _group(_rejoin))
    welcomes: GroupCommit[int, tuple[LivePlayer, str | None], dict[str, Any]] = field(
        default_factory=lambda: _group(_welcome)
    )


_batches: PerLoop[Batches] = PerLoop(Batches)


def get_batches() -> Batches:
    """The batches of the running event loop (one per process under daphne; one per test loop in tests)."""
    return _batches.get()
