"""The gate in front of the timed attempt's pages (quizzes/attempt_door.py) and its place in the ASGI routes."""

import asyncio

import pytest

from quizzes.attempt_door import AttemptGate, attempt_routes


def test_gate_lets_only_its_limit_in_at_once_and_serves_everyone_in_order():
    inside, most, served = 0, 0, []

    async def app(scope, receive, send):
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)  # a request's work, during which others arrive
        served.append(scope["n"])
        inside -= 1

    gate = AttemptGate(app, limit=2)

    async def rush():
        await asyncio.gather(*(gate({"type": "http", "n": n}, None, None) for n in range(20)))

    asyncio.run(rush())
    assert most == 2, "at most two requests inside Django at once; the others wait on the event loop"
    assert sorted(served) == list(range(20)) and served[:2] == [0, 1]


def test_gate_works_in_each_event_loop_it_meets():
    async def app(scope, receive, send):
        await asyncio.sleep(0)

    gate = AttemptGate(app, limit=1)

    async def three_at_once():
        await asyncio.wait_for(asyncio.gather(*(gate({}, None, None) for _ in range(3))), 5)

    for _loop in range(2):  # a semaphore bound to the first, closed loop would raise in the second
        asyncio.run(three_at_once())


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
