"""The route table of body limits and the ASGI middleware that applies it (contest_site/bodylimits.py), with a
fake application that records what reaches it. The served process is tested in test_serve.py."""

from __future__ import annotations

import json

import pytest
from django.urls import resolve

from contest_site import bodylimits
from contest_site.bodylimits import FORM_BYTES, BodyLimitMiddleware, limit_for

SESSION = [(b"cookie", b"sessionid=abc; django_language=en")]
ENGLISH = [(b"cookie", b"django_language=en")]


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/attempts/12/answer/", [], bodylimits.AUTOSAVE_BYTES),
        ("/", SESSION, FORM_BYTES),
        ("/events/tuan-le/", SESSION, FORM_BYTES),
        ("/uploads/", SESSION, bodylimits.TUS_CHUNK_BYTES),
        ("/uploads/3f9a0c", SESSION, bodylimits.TUS_CHUNK_BYTES),
        ("/uploads/3f9a0c", [], FORM_BYTES),  # no session cookie: no large body
        ("/rounds/2/reading/entries/new/", SESSION, 600 * 1024 * 1024),
        ("/rounds/2/reading/entries/new/", [], FORM_BYTES),
        ("/reading/entries/5/edit/", SESSION, 600 * 1024 * 1024),
        ("/organiser/banks/3/import/", SESSION, bodylimits.SPREADSHEET_BYTES),
        ("/organiser/organisations/thpt-chuyen/roster/", SESSION, bodylimits.SPREADSHEET_BYTES),
        ("/forum/topics/9/reply/", SESSION, bodylimits.IMAGE_BYTES),
        ("/rounds/2/reading/entries/new/extra/", SESSION, FORM_BYTES),  # full matches only
    ],
)
def test_each_route_has_its_limit(path, headers, expected, settings):
    settings.UPLOAD_MAX_BYTES = 600 * 1024 * 1024
    assert limit_for(path=path, headers=headers).max_bytes == expected


@pytest.mark.parametrize(
    ("path", "view"),
    [
        ("/attempts/12/answer/", "attempt_answer"),
        ("/rounds/2/reading/entries/new/", "reading_entry_create"),
        ("/reading/entries/5/edit/", "reading_entry_update"),
        ("/organiser/banks/3/import/", "organiser_bank_import"),
        ("/organiser/organisations/thpt-chuyen/roster/", "organiser_roster_import"),
        ("/organiser/banks/3/questions/new/", "organiser_question_create"),
        ("/organiser/questions/4/", "organiser_question"),
        ("/organiser/events/new/", "organiser_event_create"),
        ("/organiser/events/4/edit/", "organiser_event_edit"),
        ("/events/tuan-le/forum/new/", "forum_topic_create"),
        ("/forum/topics/9/reply/", "forum_reply"),
    ],
)
def test_the_routes_of_the_table_are_still_their_views(path, view):
    """The table names paths, the URLconf names views: a moved URL must move its limit with it."""
    assert resolve(path).url_name == view
    assert limit_for(path=path, headers=SESSION).max_bytes != FORM_BYTES


class FakeApp:
    """An ASGI application that reads the whole body, then answers 200; it records what it received."""

    def __init__(self):
        self.called = False
        self.received: list[dict] = []

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            self.received.append(message)
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def scope(path: str, headers: list) -> dict:
    return {"type": "http", "method": "POST", "path": path, "headers": headers}


class Body:
    """``receive`` of a client sending ``chunks`` pieces of ``size`` bytes; counts how many were taken."""

    def __init__(self, chunks: int, size: int):
        self.left, self.size, self.taken = chunks, size, 0

    async def __call__(self):
        self.taken += 1
        self.left -= 1
        return {"type": "http.request", "body": b"x" * self.size, "more_body": self.left > 0}


async def run(app, path, headers, body):
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    await BodyLimitMiddleware(app)(scope(path, headers), body, send)
    return sent


@pytest.mark.asyncio
async def test_a_declared_length_over_the_limit_is_refused_without_calling_the_app_or_reading():
    app, body = FakeApp(), Body(chunks=1000, size=64 * 1024)
    headers = [*ENGLISH, (b"content-length", str(300 * 1024 * 1024).encode())]
    sent = await run(app, "/attempts/1/answer/", headers, body)
    assert not app.called and body.taken == 0
    assert sent[0]["status"] == 413
    assert (b"Content-Type", b"application/json") in sent[0]["headers"]
    reply = json.loads(sent[1]["body"])
    assert reply["saved"] is False and reply["max_bytes"] == 8192
    assert "too large" in reply["error"]


@pytest.mark.asyncio
async def test_a_chunked_body_is_stopped_at_the_limit_and_the_app_sees_a_disconnect():
    app, body = FakeApp(), Body(chunks=800, size=64 * 1024)  # 50 MB, no Content-Length
    sent = await run(app, "/", ENGLISH, body)
    assert body.taken == FORM_BYTES // (64 * 1024) + 1  # not one chunk past the limit
    assert app.received[-1] == {"type": "http.disconnect"}
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]  # the app's 200 dropped
    assert sent[0]["headers"][0] == (b"Content-Type", b"text/html; charset=utf-8")
    assert b"This request is too large" in sent[1]["body"]


@pytest.mark.asyncio
async def test_a_body_within_its_limit_passes_whole():
    app, body = FakeApp(), Body(chunks=16, size=64 * 1024)
    headers = [*SESSION, (b"content-length", str(16 * 64 * 1024).encode())]
    sent = await run(app, "/uploads/abc", headers, body)
    assert sum(len(m["body"]) for m in app.received) == 16 * 64 * 1024
    assert sent[0]["status"] == 200


@pytest.mark.asyncio
async def test_the_served_application_is_wrapped():
    """contest_site.asgi: the autosave door and Django both sit behind the limit."""
    from contest_site.asgi import application

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():  # pragma: no cover - must never be called
        raise AssertionError("the body was read")

    headers = [(b"host", b"testserver"), (b"content-length", str(300 * 1024 * 1024).encode())]
    for path in ("/attempts/1/answer/", "/rounds/2/reading/entries/new/"):
        sent.clear()
        await application({**scope(path, headers), "query_string": b"", "scheme": "http"}, receive, send)
        assert sent[0]["status"] == 413
