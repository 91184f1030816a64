"""The door of the timed attempt's pages under daphne: the rules page, start, the attempt page, submit and the
result go to Django as before, but at most ``ATTEMPT_REQUESTS_AT_ONCE`` of them per process at a time.

Why: Django's ASGI handler gives every request a thread of its own. At a deadline rush (200 participants
submitting at once, bench/quiz_submit.py) that made 200 runnable threads on one core, and every database
call, which releases the GIL, waited for it again behind all of them: a query cost 160 ms of waiting (cProfile,
wall clock), and a submit holding the SQLite writer lock (``contest_site.db.serialised_writes``) progressed at
1/200 of the core while every other submit queued on the lock: submit p95 12 s. Waiting on the event loop
instead (a semaphore, no thread) costs nothing, and the few requests inside run at full speed, one after
the other, which is all one core can do anyway (docs/benchmarks.md, "the timed attempt at a rush").

These pages are short (no streaming body, no long poll), so holding a place for the whole request is safe.
The autosave has its own door (``quizzes.autosave``), served on the writer thread.
"""

from __future__ import annotations

import asyncio

from django.urls import path

ATTEMPT_REQUESTS_AT_ONCE = 2  # one on the core, one waiting on the database or the socket


class AttemptGate:
    """An ASGI app that lets at most ``limit`` requests into ``app`` at once; the others wait their turn, in
    order, on the event loop."""

    def __init__(self, app, limit: int = ATTEMPT_REQUESTS_AT_ONCE):
        self.app = app
        self.limit = limit
        self._places: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    async def __call__(self, scope, receive, send):
        # One semaphore per event loop (a server has one; tests may run several in turn).
        loop = asyncio.get_running_loop()
        places = self._places.get(loop)
        if places is None:
            places = self._places[loop] = asyncio.Semaphore(self.limit)
        async with places:
            await self.app(scope, receive, send)


def attempt_routes(django_app) -> list:
    """The routes of the timed attempt's pages, through one gate per process, for contest_site/asgi.py. They
    mirror quizzes/urls.py (Django still resolves and serves them)."""
    gate = AttemptGate(django_app)
    return [
        path("rounds/<int:round_id>/quiz/", gate),
        path("rounds/<int:round_id>/quiz/start/", gate),
        path("attempts/<int:attempt_id>/", gate),
        path("attempts/<int:attempt_id>/submit/", gate),
        path("attempts/<int:attempt_id>/result/", gate),
    ]
