"""Log lines a machine can read (issue 17): one JSON object per line in production, and one line per request
with its id, user, route, status and duration.

- ``RequestLogMiddleware`` gives every request an id (the proxy's ``X-Request-ID`` when it is a plausible
  one, else a new one), answers it in the ``X-Request-ID`` header (so that a user's report names the line),
  and logs ``request`` on ``contest_site.requests`` when the response is ready.
- ``RequestContextFilter`` copies the current request's id and user onto every record logged while it runs
  (a service's warning, Django's error with its traceback), so that the lines of one request join up.
- ``JsonFormatter`` writes a record as one JSON line: time, level, logger, message, those fields, and the
  traceback when there is one.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

logger = logging.getLogger("contest_site.requests")

REQUEST_FIELDS = ("request_id", "user_id", "method", "route", "status", "duration_ms")
PLAUSIBLE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")  # what a proxy's id looks like; anything else is replaced
_current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("request_log", default=None)


def _route(request: HttpRequest) -> str:
    """The URL pattern that answered (``api/v1/events/<slug:slug>/``), not the path: ids and slugs stay out of
    the line, and lines of one route group together."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return match.route or match.view_name or ""


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id if the request already looked its user up; a request that never did (a
    cached page, the API) is not made to read the session for the log line."""
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped is empty or not wrapped.is_authenticated:
        return None
    return int(wrapped.pk)


class RequestLogMiddleware:
    """First in settings.MIDDLEWARE, so that its duration covers every other middleware."""

    sync_capable = True
    async_capable = False  # as ChosenLanguageMiddleware: the chain is sync once, at the top

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if PLAUSIBLE_ID.match(given) else uuid.uuid4().hex
        context: dict[str, Any] = {"request_id": request_id}
        token = _current.set(context)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            context["user_id"] = _user_id(request)
            response["X-Request-ID"] = request_id
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "route": _route(request),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            _current.reset(token)


class RequestContextFilter(logging.Filter):
    """Adds the current request's id and user to each record (nothing outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        if context:
            for key, value in context.items():
                if not hasattr(record, key):
                    setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the request fields when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
