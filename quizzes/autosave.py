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

from channels.generic.http import AsyncHttpConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from contest_site.consumers import LeanConsumer
from contest_site.doors import same_origin, scope_cookies, session_from_cookies, session_user_id
from contest_site.writer import on_writer

MAX_ANSWER_BODY = 8 * 1024
MAX_LEFT_COUNT = 100_000
MAX_POSITION = 32_767  # AttemptItem.position is a PositiveSmallIntegerField
MAX_ID = 2**63 - 1  # the largest id either database stores; a larger one would not even bind


def answer_reply(*, attempt_id: int, user, body: bytes) -> tuple[int, dict]:
    """Save one answer for ``user``; return (HTTP status, JSON body). Errors change nothing.

    The body names choices by the attempt's opaque tokens (``choice_tokens``), as the page shows them: a
    database id of a choice is an unknown answer (400).
    """
    from .grading import InvalidResponse
    from .models import AttemptItem
    from .services import QuizError, attempt_answer

    if len(body) > MAX_ANSWER_BODY:
        return 413, {"saved": False, "error": _("The answer is too long.")}
    try:
        payload = json.loads(body)
        position, response = payload["position"], payload.get("response")
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):  # RecursionError: [[[[…]]]]
        return 400, {"saved": False, "error": _("The answer could not be read.")}
    if type(position) is not int:  # not 1.5, true, Infinity or "2"
        return 400, {"saved": False, "error": _("The answer could not be read.")}
    if not 0 < position <= MAX_POSITION or not 0 < attempt_id <= MAX_ID:  # out of the columns' range: no such row
        return 404, {"saved": False, "error": _("No such attempt.")}
    left = payload.get("left", 0)  # times the page was hidden (insights); a malformed count never costs the answer
    left = left if type(left) is int and 0 <= left <= MAX_LEFT_COUNT else 0
    try:
        item = attempt_answer(
            attempt_id=attempt_id, user=user, position=position, response=response, response_is_tokens=True, left=left
        )
    except AttemptItem.DoesNotExist:
        return 404, {"saved": False, "error": _("No such attempt.")}
    except InvalidResponse:
        return 400, {"saved": False, "error": _("That answer does not fit the question.")}
    except QuizError as exc:
        return 409, {"saved": False, "closed": True, "error": str(exc)}
    return 200, {"saved": True, "position": item.position, "saved_at": item.answered_at.isoformat()}


class AutosaveConsumer(LeanConsumer, AsyncHttpConsumer):
    """POST /attempts/<id>/answer/ under daphne. CSRF: the page sends the CSRF cookie's value in the
    X-CSRFToken header (double submit), which another site can neither read nor set."""

    async def handle(self, body):
        cookies = scope_cookies(self.scope)
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
            # As bytes: compare_digest refuses str with non-ASCII characters (a 500 for a forged header).
            same = secrets.compare_digest(header.encode("latin-1"), cookie.encode("latin-1", "replace"))
            if not cookie or not same or not same_origin(self.scope):
                return 403, {"saved": False, "error": _("Reload the page: your session has expired.")}
            attempt_id = self.scope["url_route"]["kwargs"]["attempt_id"]

            def write():
                with translation.override(language):
                    # The session store is made here, on the writer thread: it takes Django's cache, which is
                    # context-local, so one made in this request's task got a cache client of its own — with
                    # Redis, a new connection for every autosave (bench/quiz_submit.py --profile).
                    user_id = session_user_id(session_from_cookies(cookies))
                    if user_id is None:
                        return 403, {"saved": False, "error": _("Sign in again to keep answering.")}
                    return answer_reply(attempt_id=attempt_id, user=user_id, body=body)

            return await on_writer(write)()
