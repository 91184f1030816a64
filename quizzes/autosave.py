"""Autosave of one answer, the hottest path of a contest: every participant, every answer, in the last
minutes before a weekly deadline.

``answer_reply`` is the one implementation: it turns a request body into a service call and a JSON reply.
Two doors lead to it. The Django view (``views.participant.attempt_answer``) serves the test client and any
WSGI deployment. Under daphne, ``AutosaveConsumer`` answers the same URL before Django's handler: it skips
the middleware chain and Django's thread-per-request, and does the one-row write on a single writer
thread per process, so writers never wait on each other inside SQLite and the connection is reused
(measured in bench/quiz_submit.py, docs/benchmarks.md).
"""

from __future__ import annotations

import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie

from asgiref.sync import sync_to_async
from channels.generic.http import AsyncHttpConsumer
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import translation
from django.utils.translation import gettext as _

MAX_ANSWER_BODY = 8 * 1024
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave-writer")


def answer_reply(*, attempt_id: int, user, body: bytes) -> tuple[int, dict]:
    """Save one answer for ``user``; return (HTTP status, JSON body). Errors change nothing."""
    from .grading import InvalidResponse
    from .models import AttemptItem
    from .services import QuizError, attempt_answer

    if len(body) > MAX_ANSWER_BODY:
        return 413, {"saved": False, "error": _("The answer is too long.")}
    try:
        payload = json.loads(body)
        position = int(payload["position"])
        response = payload.get("response")
    except (ValueError, TypeError, KeyError):
        return 400, {"saved": False, "error": _("The answer could not be read.")}
    try:
        item = attempt_answer(attempt_id=attempt_id, user=user, position=position, response=response)
    except AttemptItem.DoesNotExist:
        return 404, {"saved": False, "error": _("No such attempt.")}
    except InvalidResponse:
        return 400, {"saved": False, "error": _("That answer does not fit the question.")}
    except QuizError as exc:
        return 409, {"saved": False, "closed": True, "error": str(exc)}
    return 200, {"saved": True, "position": item.position, "saved_at": item.answered_at.isoformat()}


def _cookies(scope) -> dict[str, str]:
    jar = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar.load(value.decode("latin-1"))
    return {key: morsel.value for key, morsel in jar.items()}


def _same_origin(scope) -> bool:
    """The Origin header, when a browser sends one, must be this site (as Django's CSRF check requires)."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin")
    if origin is None:
        return True
    host = headers.get(b"host", b"").decode("latin-1")
    return origin.decode("latin-1").split("://", 1)[-1] == host


class AutosaveConsumer(AsyncHttpConsumer):
    """POST /attempts/<id>/answer/ under daphne. CSRF: the page sends the CSRF cookie's value in the
    X-CSRFToken header (double submit), which another site can neither read nor set."""

    async def handle(self, body):
        cookies = _cookies(self.scope)
        language = cookies.get(settings.LANGUAGE_COOKIE_NAME, settings.LANGUAGE_CODE)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        status, reply = await self._reply(body, cookies, language)
        await self.send_response(
            status,
            json.dumps(reply, ensure_ascii=False).encode(),
            headers=[
                (b"Content-Type", b"application/json"),
                (b"Content-Language", language.encode()),
                (b"Cache-Control", b"no-store"),
            ],
        )

    async def _reply(self, body: bytes, cookies: dict, language: str) -> tuple[int, dict]:
        with translation.override(language):
            if self.scope["method"] != "POST":
                return 405, {"saved": False, "error": _("Send the answer with POST.")}
            header = dict(self.scope.get("headers", [])).get(b"x-csrftoken", b"").decode("latin-1")
            cookie = cookies.get(settings.CSRF_COOKIE_NAME, "")
            if not cookie or not secrets.compare_digest(header, cookie) or not _same_origin(self.scope):
                return 403, {"saved": False, "error": _("Reload the page: your session has expired.")}
            user = self.scope.get("user")
            if (
                user is None
                or not await sync_to_async(lambda: user.is_authenticated, thread_sensitive=False, executor=_writer)()
            ):
                return 403, {"saved": False, "error": _("Sign in again to keep answering.")}
            attempt_id = self.scope["url_route"]["kwargs"]["attempt_id"]

            def write():
                with translation.override(language):
                    try:
                        return answer_reply(attempt_id=attempt_id, user=user, body=body)
                    except (OperationalError, InterfaceError):
                        # the writer's long-lived connection broke (database restarted): reconnect once
                        connection.close()
                        return answer_reply(attempt_id=attempt_id, user=user, body=body)

            return await sync_to_async(write, thread_sensitive=False, executor=_writer)()
