"""Request bodies bounded before they are read: one table of limits per route, and the ASGI layer that obeys it.

A 300 MB anonymous POST used to grow a daphne process by 3.4 GB before any view could say no (issue 15): daphne
queued the body whole and Django's handler read all of it before the view ran. Two layers now share
``limit_for``:

- ``BodyLimitMiddleware`` wraps the whole HTTP application (contest_site/asgi.py, in front of Django and the
  autosave door): a declared ``Content-Length`` over the route's limit is answered 413 without calling the
  application; a body without one (chunked) is counted as it streams through ``receive`` and stopped at the
  limit. It holds no chunk itself.
- ``contest_site.serve`` (our daphne entry point) applies the same table inside the server, at header time,
  so that the body is never even received, and hands an accepted body to the application one chunk at a time.

A body larger than the default is accepted only from a visitor who carries a session cookie: every large
route needs a signed-in person, and checking the cookie's presence costs nothing at header time (the view
still checks the session itself, and the round's own limit, before it reads the body).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from .doors import header_cookies

KIB = 1024
MIB = 1024 * KIB

AUTOSAVE_BYTES = 8 * KIB  # quizzes/autosave.py MAX_ANSWER_BODY
FORM_BYTES = 1 * MIB  # every other page: forms, JSON, votes
TUS_CHUNK_BYTES = 8 * MIB + 64 * KIB  # a tus PATCH carries at most 8 MiB; a little room for framing
SPREADSHEET_BYTES = 6 * MIB  # bank import, roster import: files of 5 MB at most (their forms say so)
IMAGE_BYTES = 10 * MIB  # forum pictures (8 MB at most), question images, event banners, plus form fields
ADMIN_BYTES = 16 * MIB  # the admin's own forms may carry any of the images above


@dataclass(frozen=True)
class Limit:
    """What a route accepts: at most ``max_bytes`` of body; refusals in JSON (``json``) or as a page."""

    max_bytes: int
    json: bool = False


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern
    max_bytes: int | None  # None: the platform's upload maximum (settings.UPLOAD_MAX_BYTES), read per request
    json: bool = False
    needs_session: bool = True


def _route(regex: str, max_bytes: int | None, *, json: bool = False, needs_session: bool = True) -> _Route:
    return _Route(re.compile(regex), max_bytes, json, needs_session)


# Full matches on the request path; the first match wins; anything else gets FORM_BYTES. Keep in step with the
# url patterns (contest_site/tests/test_bodylimits.py checks that each of these still resolves to its view).
ROUTES: tuple[_Route, ...] = (
    _route(r"/attempts/\d+/answer/", AUTOSAVE_BYTES, json=True, needs_session=False),
    _route(r"/uploads/(?:[^/]+)?", TUS_CHUNK_BYTES, json=True),  # tus 1.0: creation, then PATCH per chunk
    _route(r"/rounds/\d+/reading/entries/new/", None),  # multipart recording; the view checks the round's limit
    _route(r"/reading/entries/\d+/edit/", None),
    _route(r"/organiser/banks/\d+/import/", SPREADSHEET_BYTES),
    _route(r"/organiser/organisations/[-\w]+/roster/", SPREADSHEET_BYTES),
    _route(r"/organiser/banks/\d+/questions/new/", IMAGE_BYTES),
    _route(r"/organiser/questions/\d+/", IMAGE_BYTES),
    _route(r"/organiser/events/new/", IMAGE_BYTES),
    _route(r"/organiser/events/\d+/edit/", IMAGE_BYTES),
    _route(r"/events/[-\w]+/forum/new/", IMAGE_BYTES),
    _route(r"/forum/topics/\d+/reply/", IMAGE_BYTES),
    _route(r"/admin/.*", ADMIN_BYTES),
)


def limit_for(*, path: str, headers) -> Limit:
    """The body limit of a request to ``path`` with ``headers`` (ASGI-style (name, value) byte pairs, names in
    lower case). Cheap and free of I/O: daphne calls it on its reactor thread for every request."""
    for route in ROUTES:
        if route.pattern.fullmatch(path):
            if route.needs_session and not _has_session_cookie(headers):
                return Limit(min(FORM_BYTES, _bytes(route)), route.json)
            return Limit(_bytes(route), route.json)
    return Limit(FORM_BYTES)


def _bytes(route: _Route) -> int:
    return settings.UPLOAD_MAX_BYTES if route.max_bytes is None else route.max_bytes


def _has_session_cookie(headers) -> bool:
    return bool(header_cookies(headers).get(settings.SESSION_COOKIE_NAME))


def declared_length(headers) -> int | None:
    """The Content-Length a request declares; None when it has none (chunked) or an unreadable one."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def refusal(*, limit: Limit, headers) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The 413 answer of a body over ``limit``, in the visitor's language (the site's switch, as for pages):
    (response headers, body). JSON for the routes scripts talk to (autosave, tus), a short page otherwise."""
    language = header_cookies(headers).get(settings.LANGUAGE_COOKIE_NAME, settings.LANGUAGE_CODE)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        message = _("This request is too large: at most %(size)s are accepted here.") % {
            "size": filesizeformat(limit.max_bytes)
        }
        if limit.json:
            body = json.dumps({"saved": False, "error": message, "max_bytes": limit.max_bytes}, ensure_ascii=False)
            content_type = b"application/json"
        else:
            title = escape(_("Too large"))
            body = (
                f'<!doctype html><html lang="{language}"><meta charset="utf-8"><title>{title}</title>'
                f"<h1>{title}</h1><p>{escape(message)}</p></html>"
            )
            content_type = b"text/html; charset=utf-8"
    payload = body.encode()
    return [
        (b"Content-Type", content_type),
        (b"Content-Length", str(len(payload)).encode()),
        (b"Content-Language", language.encode()),
        (b"Cache-Control", b"no-store"),
        (b"Connection", b"close"),
    ], payload


async def send_refusal(send, *, limit: Limit, headers) -> None:
    response_headers, payload = refusal(limit=limit, headers=headers)
    await send({"type": "http.response.start", "status": 413, "headers": response_headers})
    await send({"type": "http.response.body", "body": payload})


class BodyLimitMiddleware:
    """ASGI middleware: 413 for a body over its route's limit, declared or counted (see the module's text).

    Once the limit is passed mid-body, the application receives ``http.disconnect`` (Django's handler then
    stops reading and runs no view; the autosave consumer stops) and whatever it still sends is dropped."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = scope.get("headers", [])
        limit = limit_for(path=scope["path"], headers=headers)
        declared = declared_length(headers)
        if declared is not None and declared > limit.max_bytes:
            return await send_refusal(send, limit=limit, headers=headers)

        seen = 0
        started = refused = False

        async def counted_receive():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit.max_bytes:
                    refused = True
                    if not started:
                        await send_refusal(send, limit=limit, headers=headers)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted_receive, guarded_send)
