"""The door of the timed attempt's pages under daphne: the rules page, start, the attempt page, submit and the
result are served by Django's own views and middleware, but at most ``requests_at_once()`` at a time per
process, each in one hop to a thread kept for the life of the process.

Why (bench/quiz_submit.py --profile, docs/benchmarks.md "the timed attempt at a rush"):

- Django's ASGI handler gives every request a thread of its own. At a deadline rush (200 participants
  submitting at once) that made 200 runnable threads on one core, and every database call, which releases
  the GIL, waited for it again behind all of them: 160 ms per query (cProfile, wall clock), and a submit
  holding the SQLite writer lock (``contest_site.db.serialised_writes``) progressed at 1/200 of the core while
  every other submit queued on the lock (submit p95 12 s). Waiting on the event loop instead costs nothing,
  and the few requests inside run at full speed, which is all one core can do anyway.
- Django's ASGI handler crosses between the event loop and its thread about eight times per request (the
  request_started and request_finished signals, the middleware chain, each response chunk, the close), and
  asgiref copies every context variable at each crossing: 2.2 ms of CPU for a static file, against 0.2 ms
  for our raw autosave door. Here the whole request runs in one crossing, exactly as a WSGI server runs
  Django (``BaseHandler.get_response``, sync middleware, ``response.close()``), then the reply is sent.

- Who waits goes in by what the request does, then in arrival order: what runs against an attempt's clock
  (a start, which sets it; the attempt page, which the participant waits for while it runs; a submit)
  before the rules and result pages. At a deadline rush a submit queued behind 200 result and rules pages
  waited for all of them (1.5 s at p95 in bench/quiz_submit.py), and a submit that reaches Django after
  deadline + grace loses the answers it posts; a page shown a second later loses nothing. The other pages
  are never starved: one that has waited ``PAGE_PATIENCE_S`` goes in next (a flood of POSTs, even refused
  ones, cannot hold them back for ever). A first version let one in after every four clock-bound requests
  instead: at a deadline rush the result pages then took a fifth of the lane from the submits (submit p95
  1.46 → 1.8 s in bench/quiz_submit.py).

These pages are short and never stream (no file, no long poll), so holding a lane for the whole request and
sending the body in one message is safe. The autosave has its own door (``quizzes.autosave``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.urls import path, set_script_prefix


def requests_at_once() -> int:
    """How many of these requests run at once in a process (``ATTEMPT_LANES``, 1 by default). Measured with
    bench/quiz_submit.py on one machine with its database: with two lanes the two threads passed the GIL
    back and forth (each spent 6.4 ms per attempt page, against 3.4 ms for the same view in-process); one
    lane cut the page's CPU by 9-14 % and the start's by 12 %, on SQLite and on PostgreSQL + Redis (submit
    p95 2.39 -> 1.94 s there). A second lane pays only when a query's network round trip leaves the core
    idle: a database on another machine."""
    return settings.ATTEMPT_LANES


PAGE_PATIENCE_S = 3.0  # a rules or result page that has waited this long goes in before the clock-bound


class Lanes:
    """The kept threads of one event loop, and who waits for one: what runs against an attempt's clock before
    the other pages (unless one of those has waited PAGE_PATIENCE_S), each in arrival order."""

    def __init__(self, limit: int, clock: Callable[[], float] | None = None):
        self.clock = clock or (lambda: asyncio.get_running_loop().time())
        self.free = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"attempt-lane-{number}") for number in range(limit)
        ]
        self.clock_bound: deque[asyncio.Future] = deque()
        self.others: deque[tuple[float, asyncio.Future]] = deque()  # (when it began to wait, its turn)

    async def take(self, *, clock_bound: bool) -> ThreadPoolExecutor:
        self._drop_departed()
        if self.free and not self.clock_bound and not self.others:
            return self.free.pop()
        turn: asyncio.Future[ThreadPoolExecutor] = asyncio.get_running_loop().create_future()
        if clock_bound:
            self.clock_bound.append(turn)
        else:
            self.others.append((self.clock(), turn))
        try:
            return await turn
        except asyncio.CancelledError:  # the client left; a lane handed over meanwhile goes to the next
            if turn.done() and not turn.cancelled():
                self.give_back(turn.result())
            raise

    def give_back(self, lane: ThreadPoolExecutor) -> None:
        self._drop_departed()
        page_due = bool(self.others) and self.clock() - self.others[0][0] >= PAGE_PATIENCE_S
        if self.clock_bound and not page_due:
            self.clock_bound.popleft().set_result(lane)
        elif self.others:
            self.others.popleft()[1].set_result(lane)
        else:
            self.free.append(lane)

    def _drop_departed(self) -> None:
        """Forget the waiters at the head of each queue whose client left (their futures are cancelled)."""
        while self.clock_bound and self.clock_bound[0].done():
            self.clock_bound.popleft()
        while self.others and self.others[0][1].done():
            self.others.popleft()


class AttemptGate:
    """An ASGI app serving Django's views for ``django_app`` (an ``ASGIHandler``): at most ``limit`` requests
    at once, each on one of ``limit`` kept threads (lanes); the others wait their turn on the event loop,
    what runs against an attempt's clock first (``Lanes``)."""

    def __init__(self, django_app, limit: int | None = None):
        self.django_app = django_app
        self.limit = requests_at_once() if limit is None else limit
        self._lanes: dict[asyncio.AbstractEventLoop, Lanes] = {}
        self._handler: BaseHandler | None = None

    def _lanes_of(self, loop) -> Lanes:
        # One set of lanes per event loop (a server has one; tests may run several in turn).
        lanes = self._lanes.get(loop)
        if lanes is None:
            lanes = self._lanes[loop] = Lanes(self.limit)
        return lanes

    async def __call__(self, scope, receive, send):
        try:
            body_file = await self.django_app.read_body(receive)  # bounded by contest_site/bodylimits.py
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        lanes = self._lanes_of(loop)
        # Start and submit are POSTs; the attempt page's route says so (``attempt_routes``).
        clock_bound = scope.get("method") == "POST" or scope.get("url_route", {}).get("kwargs", {}).get("clock_bound")
        lane = await lanes.take(clock_bound=bool(clock_bound))
        try:
            status, headers, body = await loop.run_in_executor(lane, self._respond, scope, body_file)
        finally:
            lanes.give_back(lane)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _respond(self, scope, body_file) -> tuple[int, list, bytes]:
        """On a lane: the request through Django's sync handler, as a WSGI server runs it."""
        if self._handler is None:
            handler = BaseHandler()
            handler.load_middleware(is_async=False)
            self._handler = handler
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.django_app.__class__, scope=scope)
        request, response = self.django_app.create_request(scope, body_file)
        try:
            if request is not None:
                response = self._handler.get_response(request)
            response._handler_class = self.django_app.__class__
            body = b"".join(response) if response.streaming else response.content
            headers = [
                (name.encode("ascii") if isinstance(name, str) else bytes(name), value.encode("latin1"))
                for name, value in response.items()
            ]
            headers += [(b"Set-Cookie", c.output(header="").encode("ascii").strip()) for c in response.cookies.values()]
            return response.status_code, headers, body
        finally:
            _keep_connections()
            response.close()  # request_finished: a connection in error or unusable is closed as after any request
            body_file.close()


def _keep_connections() -> None:
    """Let this lane keep its SQLite connection after the request, as the writer thread does.

    Why: a lane is a thread kept for the life of the process, so its connection can be too, while Django
    (CONN_MAX_AGE 0, right for a thread per request) closes it at every request's end. Reopening cost 1.5 ms
    of CPU per page on SQLite (connect, the backend's functions, the schema parsed again; measured beside a
    query of 0.35 ms), five times per attempt. PostgreSQL connections go back to the process's pool as
    before (a checkout is cheap there, and a connection held by a lane would outlive a test database).
    Django's ``close_if_unusable_or_obsolete`` still closes a connection left in error or unusable."""
    for connection in connections.all(initialized_only=True):
        if connection.vendor == "sqlite":
            connection.close_at = None


def attempt_routes(django_app) -> list:
    """The routes of the timed attempt's pages, through one gate per process, for contest_site/asgi.py. They
    mirror quizzes/urls.py (Django still resolves and serves them)."""
    gate = AttemptGate(django_app)
    return [
        path("rounds/<int:round_id>/quiz/", gate),
        path("rounds/<int:round_id>/quiz/start/", gate),
        path("attempts/<int:attempt_id>/", gate, {"clock_bound": True}),
        path("attempts/<int:attempt_id>/submit/", gate),
        path("attempts/<int:attempt_id>/result/", gate),
    ]
