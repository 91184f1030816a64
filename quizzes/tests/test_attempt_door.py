"""The door of the timed attempt's pages (quizzes/attempt_door.py) and its place in the ASGI routes."""

import asyncio
import io
import threading
import time

import pytest
from django.urls import reverse

from quizzes.attempt_door import AttemptGate, attempt_routes
from quizzes.models import Attempt


class _Body:
    async def read_body(self, receive):
        return io.BytesIO(b"")


class _CountingGate(AttemptGate):
    """The gate with Django replaced by a sleep that counts who is inside."""

    def __init__(self, limit):
        super().__init__(_Body(), limit=limit)
        self.inside = self.most = 0
        self.served, self.threads = [], set()
        self.lock = threading.Lock()

    def _respond(self, scope, body_file):
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.threads.add(threading.get_ident())
        time.sleep(0.01)
        with self.lock:
            self.inside -= 1
            self.served.append(scope["n"])
        return 200, [], b""


async def _call(gate, scope):
    sent = []

    async def send(message):
        sent.append(message)

    await gate(scope, None, send)
    return sent


def test_gate_lets_only_its_limit_in_at_once_on_kept_threads_in_order():
    gate = _CountingGate(limit=2)

    async def rush():
        await asyncio.gather(*(_call(gate, {"type": "http", "n": n}) for n in range(20)))

    asyncio.run(rush())
    assert gate.most == 2, "at most two requests inside Django at once; the others wait on the event loop"
    assert len(gate.threads) == 2, "two kept threads, not one per request"
    assert sorted(gate.served) == list(range(20)) and set(gate.served[:2]) == {0, 1}


def test_starts_and_submits_go_in_before_the_pages_waiting_with_them():
    """At a rush the actions that carry a clock (POST start, POST submit) are served before the pages that
    waited longer (GET rules, attempt, result); within each kind, in arrival order."""
    gate = _CountingGate(limit=1)

    async def rush():
        calls = [
            _call(gate, {"type": "http", "n": n, "method": "POST" if n in (3, 5, 8) else "GET"}) for n in range(10)
        ]
        await asyncio.gather(*calls)

    asyncio.run(rush())
    assert gate.served == [0, 3, 5, 8, 1, 2, 4, 6, 7, 9], "the first was inside already; then POSTs, then GETs"


def test_a_page_that_has_waited_long_enough_goes_in_before_the_clock_bound():
    """A flood of POSTs (even ones Django will refuse) cannot hold the rules and result pages back for ever:
    a page that has waited PAGE_PATIENCE_S goes in next; until then the clock-bound requests go first."""
    from quizzes.attempt_door import PAGE_PATIENCE_S, Lanes

    now = [0.0]

    async def flood():
        lanes = Lanes(1, clock=lambda: now[0])
        lane = await lanes.take(clock_bound=False)  # the lane is busy from here on
        page = asyncio.ensure_future(lanes.take(clock_bound=False))
        posts = [asyncio.ensure_future(lanes.take(clock_bound=True)) for _ in range(3)]
        await asyncio.sleep(0)
        waiting = {"page": page, **{f"post {n}": post for n, post in enumerate(posts)}}
        order: list[str] = []
        for moment in (1.0, PAGE_PATIENCE_S + 0.5, PAGE_PATIENCE_S + 1.0, PAGE_PATIENCE_S + 1.5):
            now[0] = moment
            lanes.give_back(lane)  # the request inside ends: the lane goes to the next
            await asyncio.sleep(0)
            order += [name for name, turn in waiting.items() if turn.done() and name not in order]
        return order

    assert asyncio.run(flood()) == ["post 0", "page", "post 1", "post 2"]


def test_the_attempt_page_runs_against_the_clock_but_rules_and_result_do_not():
    from contest_site.asgi import http_routes

    gated = {
        route.pattern.describe(): route for route in http_routes.app.routes if isinstance(route.callback, AttemptGate)
    }
    clock_bound = {pattern for pattern, route in gated.items() if route.default_args.get("clock_bound")}
    assert clock_bound == {"'attempts/<int:attempt_id>/'"}, "start and submit are POSTs; the attempt page says so"


def test_a_waiter_that_leaves_gives_its_turn_to_the_next():
    gate = _CountingGate(limit=1)

    async def one_leaves():
        first = asyncio.ensure_future(_call(gate, {"n": 0, "method": "GET"}))
        await asyncio.sleep(0)
        leaving = asyncio.ensure_future(_call(gate, {"n": 1, "method": "POST"}))
        staying = asyncio.ensure_future(_call(gate, {"n": 2, "method": "GET"}))
        await asyncio.sleep(0)
        leaving.cancel()
        await asyncio.wait_for(asyncio.gather(first, staying), 5)
        assert leaving.cancelled()
        lanes = gate._lanes_of(asyncio.get_running_loop())
        assert len(lanes.free) == 1 and not lanes.clock_bound and not lanes.others, "the lane came back"

    asyncio.run(one_leaves())
    assert gate.served == [0, 2]


def test_gate_works_in_each_event_loop_it_meets():
    gate = _CountingGate(limit=1)

    async def three_at_once():
        await asyncio.wait_for(asyncio.gather(*(_call(gate, {"n": n}) for n in range(3))), 5)

    for _loop in range(2):  # lanes bound to the first, closed loop would fail in the second
        asyncio.run(three_at_once())
    assert len(gate.served) == 6


@pytest.mark.django_db(transaction=True)
def test_gate_serves_the_attempt_pages_as_django_does(client, player, quiz_round):
    """Start (a redirect), the attempt page (with its CSRF cookie) and a 404, through the gate in front of
    Django's real handler."""
    from contest_site.asgi import django_asgi_app

    gate = AttemptGate(django_asgi_app)
    client.force_login(player)
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken=abcdefghijklmnopqrstuvwxyz012345"

    def request(method, url, body=b""):
        scope = {
            "type": "http",
            "method": method,
            "path": url,
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"testserver"),
                (b"cookie", cookie.encode()),
                (b"x-csrftoken", b"abcdefghijklmnopqrstuvwxyz012345"),
                (b"content-type", b"application/x-www-form-urlencoded"),
            ],
            "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
        }

        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def run():
            sent = []

            async def send(message):
                sent.append(message)

            await gate(scope, receive, send)
            return sent

        start, body_message = asyncio.run(run())
        return start["status"], dict(start["headers"]), body_message["body"]

    status, headers, _body = request("POST", reverse("attempt_start", args=[quiz_round.round_id]))
    attempt = Attempt.objects.get(user=player)
    assert status == 302 and headers[b"Location"].decode() == reverse("attempt_take", args=[attempt.pk])
    status, headers, body = request("GET", reverse("attempt_take", args=[attempt.pk]))
    assert status == 200 and b'class="question-card"' in body
    assert headers[b"Content-Type"].startswith(b"text/html")
    assert request("GET", reverse("attempt_take", args=[attempt.pk + 1000]))[0] == 404


@pytest.mark.parametrize(
    "path",
    ["/rounds/7/quiz/", "/rounds/7/quiz/start/", "/attempts/7/", "/attempts/7/submit/", "/attempts/7/result/"],
)
def test_asgi_sends_the_attempt_pages_through_one_gate(path):
    from django.urls import resolve

    from contest_site.asgi import http_routes

    gated = [route for route in http_routes.app.routes if isinstance(route.callback, AttemptGate)]
    assert len({id(route.callback) for route in gated}) == 1, "one gate (one queue) for all the attempt pages"
    assert any(route.pattern.match(path.lstrip("/")) for route in gated)
    assert resolve(path).url_name in {"quiz_round", "attempt_start", "attempt_take", "attempt_submit", "attempt_result"}


def test_the_autosave_and_other_pages_are_not_gated():
    routes = attempt_routes(object())
    for path in ["attempts/7/answer/", "rounds/7/live/", "", "practice/"]:
        assert not any(route.pattern.match(path) for route in routes)


@pytest.mark.django_db(transaction=True)
def test_a_lane_keeps_its_sqlite_connection_between_requests(client, player, quiz_round):
    """A lane is a kept thread: its SQLite connection outlives each request (reopening it cost 1.5 ms of CPU
    per page), while Django's request_finished still runs: ``close_at`` None is what makes Django's
    ``close_if_unusable_or_obsolete`` keep a healthy connection. (The connection object itself cannot show
    it here: Django never closes the test database in memory.)"""
    from django.db import connection

    from contest_site.asgi import django_asgi_app

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL connections go back to the pool after each request")
    gate = AttemptGate(django_asgi_app, limit=1)
    client.force_login(player)
    scope = {
        "type": "http",
        "method": "GET",
        "path": reverse("quiz_round", args=[quiz_round.round_id]),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def a_request_then_the_lanes_connection():
        sent = []

        async def send(message):
            sent.append(message)

        await gate(scope, receive, send)
        assert sent[0]["status"] == 200
        lanes = gate._lanes_of(asyncio.get_running_loop())
        lane = await lanes.take(clock_bound=False)
        kept = await asyncio.get_running_loop().run_in_executor(
            lane, lambda: (connection.connection is not None, connection.close_at)
        )
        lanes.give_back(lane)
        return kept

    assert asyncio.run(a_request_then_the_lanes_connection()) == (True, None)


def test_one_lane_unless_configured(settings):
    """One lane by default (a second only passed the GIL back and forth, bench/quiz_submit.py);
    ATTEMPT_LANES=2 for a database on another machine, whose round trips leave the core idle."""
    assert AttemptGate(_Body()).limit == 1
    settings.ATTEMPT_LANES = 2
    assert AttemptGate(_Body()).limit == 2
