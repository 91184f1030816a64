"""Autosave of one answer, the hottest path of a contest: every participant, every answer, in the last
minutes before a weekly deadline.

``answer_reply`` is the one implementation: it turns a request body into a service call and a JSON reply.
Two doors lead to it. The Django view (``views.participant.attempt_answer``) serves the test client and any
WSGI deployment. Under daphne, ``AutosaveConsumer`` answers the same URL before Django's handler: it skips
the middleware chain and Django's thread-per-request, and does the one-row write on a single writer
thread per process, so writers never wait on each other inside SQLite and the connection is reused.

Under daphne the answers of one tick are written together (``contest_site.group_commit``): one hop to the
writer thread and one transaction for every answer that arrived within ``TICK_S`` or while the previous
tick was being written, each acknowledged only after that commit. Each answer is still checked on its own
(its session, its attempt, its question), and one refused answer costs the others nothing. Measured in
bench/quiz_submit.py (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass

from channels.generic.http import AsyncHttpConsumer
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from contest_site.consumers import LeanConsumer
from contest_site.db import serialised_writes
from contest_site.doors import same_origin, scope_cookies, session_from_cookies, session_user_id
from contest_site.group_commit import GroupCommit, PerLoop

logger = logging.getLogger(__name__)

MAX_ANSWER_BODY = 8 * 1024
MAX_LEFT_COUNT = 100_000
MAX_POSITION = 32_767  # AttemptItem.position is a PositiveSmallIntegerField
MAX_ID = 2**63 - 1  # the largest id either database stores; a larger one would not even bind
TICK_S = 0.002  # the longest an answer waits for others before its tick is written (2 ms)
MAX_TICK = 200  # answers written in one transaction at most


def answer_reply(*, attempt_id: int, user, body: bytes, in_transaction: bool = False) -> tuple[int, dict]:
    """Save one answer for ``user``; return (HTTP status, JSON body). Errors change nothing.

    The body names choices by the attempt's opaque tokens (``choice_tokens``), as the page shows them: a
    database id of a choice is an unknown answer (400). ``in_transaction``: the caller holds the transaction
    (a tick of answers); otherwise the answer is written in a transaction of its own.
    """
    from .grading import InvalidResponse
    from .models import AttemptItem
    from .services import QuizError, answer_write, attempt_answer

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
    write = answer_write if in_transaction else attempt_answer
    try:
        item = write(
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
            post = AnswerPost(self.scope["url_route"]["kwargs"]["attempt_id"], cookies, body, language)
            return await _ticks.get().submit(None, None, post)


@dataclass(frozen=True)
class AnswerPost:
    """One autosave request, as the door hands it to the writer thread."""

    attempt_id: int
    cookies: dict[str, str]
    body: bytes
    language: str


def answers_save_tick(_context: None, posts: list[AnswerPost]) -> list[tuple[int, dict]]:
    """On the writer thread: the replies to one tick of autosaves, written in one transaction.

    In attempt order, so that the ticks of two processes lock attempt rows (PostgreSQL) in the same order and
    never wait on each other in a cycle; answers to one attempt keep their arrival order. An answer that
    fails for a reason of its own (its session cannot be read, a bug) is answered 500 alone, and the page
    sends it again: every check comes before an answer's one write, so nothing of it was written. If the
    transaction fails as a whole (a database error), each answer is tried again in a transaction of its own,
    so that one answer the database refuses costs the others nothing. A lost connection in that second pass
    is not one answer's fault: it goes up to ``on_writer``, which reconnects and tries the tick once more."""
    try:
        with serialised_writes(), transaction.atomic():
            return _replies(posts, in_transaction=True)
    except DatabaseError:
        logger.warning("A tick of %d autosaves failed as a whole; saving them one by one", len(posts), exc_info=True)
        return _replies(posts, in_transaction=False)


def _replies(posts: list[AnswerPost], *, in_transaction: bool) -> list[tuple[int, dict]]:
    replies: list[tuple[int, dict]] = [(500, {})] * len(posts)
    for index in sorted(range(len(posts)), key=lambda index: posts[index].attempt_id):
        post = posts[index]
        with translation.override(post.language):
            try:
                replies[index] = _reply_to(post, in_transaction=in_transaction)
            except DatabaseError as error:
                if in_transaction or isinstance(error, (OperationalError, InterfaceError)):
                    raise  # the tick's transaction is spoilt (saved again one by one), or the connection is lost
                logger.exception("An autosave was refused by the database")
                replies[index] = (500, {"saved": False, "error": _("The answer could not be saved yet.")})
            except Exception:
                logger.exception("An autosave failed")
                replies[index] = (500, {"saved": False, "error": _("The answer could not be saved yet.")})
    return replies


def _reply_to(post: AnswerPost, *, in_transaction: bool) -> tuple[int, dict]:
    # The session store is made here, on the writer thread: it takes Django's cache, which is context-local,
    # so one made in the request's task got a cache client of its own — with Redis, a new connection for
    # every autosave (bench/quiz_submit.py --profile).
    user_id = session_user_id(session_from_cookies(post.cookies))
    if user_id is None:
        return 403, {"saved": False, "error": _("Sign in again to keep answering.")}
    return answer_reply(attempt_id=post.attempt_id, user=user_id, body=post.body, in_transaction=in_transaction)


_ticks: PerLoop[GroupCommit[None, AnswerPost, tuple[int, dict]]] = PerLoop(
    lambda: GroupCommit(answers_save_tick, tick_s=TICK_S, max_batch=MAX_TICK)
)
