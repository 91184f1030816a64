"""What every raw ASGI door in front of Django needs (the autosave door, the tus upload endpoint, the body
limit): the request's cookies, its session read without Django's middleware, its signed-in user, and the
Origin check that Django's CSRF protection would make.

These doors skip Django's middleware on purpose (the hottest or the largest requests of a contest), so they
must read the session exactly as Django does for a page, and nothing more.
"""

from __future__ import annotations

import functools
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib import auth
from django.http.cookie import parse_cookie


def header_cookies(headers) -> dict[str, str]:
    """The cookies of raw ASGI ``headers`` (a list of byte pairs), parsed as Django parses them for a page."""
    for name, value in headers:
        if name == b"cookie":
            return parse_cookie(value.decode("latin-1"))
    return {}


def scope_cookies(scope) -> dict[str, str]:
    return header_cookies(scope.get("headers", []))


def session_from_cookies(cookies: dict[str, str]):
    """The visitor's session store, read lazily. Read only: the doors never change a session, so they need
    neither channels' session middleware nor its save-on-send wrapper."""
    return _session_store_class()(session_key=cookies.get(settings.SESSION_COOKIE_NAME))


@functools.cache
def _session_store_class():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_user(session):
    """The signed-in user of a session, checked as Django checks it for a page (auth hash included). Sync:
    call it on a thread (the autosave door uses its writer thread and kept connection)."""
    return auth.get_user(SimpleNamespace(session=session))


def same_origin(scope) -> bool:
    """The Origin header, when a browser sends one, must be this site (as Django's CSRF check requires)."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin")
    if origin is None:
        return True
    host = headers.get(b"host", b"").decode("latin-1")
    return origin.decode("latin-1").split("://", 1)[-1] == host
