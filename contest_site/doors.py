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
from typing import cast

from django.conf import settings
from django.contrib import auth
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Field
from django.http.cookie import parse_cookie
from django.utils.crypto import constant_time_compare


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


async def session_and_user(cookies: dict[str, str]):
    """The visitor's session and signed-in user (``AnonymousUser`` if none), read on the process's writer
    thread (``contest_site.writer``). Why there: Django's cache is context-local, so a session read in the
    request's own context, or through ``sync_to_async`` (which copies it), got a cache client of its own — with
    Redis, a new connection for every request of a door (every chunk of an upload)."""
    from .writer import on_writer

    def read():
        session = session_from_cookies(cookies)
        return session, session_user(session)

    return await on_writer(read)()


def session_user(session):
    """The signed-in user of a session, checked as Django checks it for a page (auth hash included). Sync:
    call it on a thread (the autosave door uses its writer thread and kept connection)."""
    return auth.get_user(SimpleNamespace(session=session))


def session_user_id(session) -> int | None:
    """The id of the session's signed-in user, checked as ``session_user`` checks it (a configured backend,
    an active account, the session hash of the current password or of a SECRET_KEY_FALLBACKS key), with one
    prepared query of two columns instead of loading the user. Sync, on a thread.

    Why: the autosave door needs only the id (its own query is filtered by it), and building the ORM query
    for the whole user was a fifth of an autosave's CPU (bench/quiz_submit.py --profile)."""
    user_id = session.get(auth.SESSION_KEY)
    session_hash = session.get(auth.HASH_SESSION_KEY)
    if not user_id or not session_hash or session.get(auth.BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    user_model = auth.get_user_model()
    try:
        pk = user_model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_password_statement(), [pk])
        row = cursor.fetchone()
    if row is None or not row[1]:
        return None
    hashes = _session_hashes(row[0], settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))
    return pk if any(constant_time_compare(session_hash, each) for each in hashes) else None


@functools.lru_cache(maxsize=10_000)
def _session_hashes(password: str, secret_key: str, fallbacks: tuple[str, ...]) -> tuple[str, ...]:
    """The session hashes Django derives from a stored password (current key first, then the fallbacks),
    computed by Django's own methods on an unsaved user. Cached: a participant saves every answer with the
    same password hash, and a changed password or key is another entry. The keys are arguments so that a
    rotated key is never answered from the cache."""
    probe = auth.get_user_model()(password=password)
    return (probe.get_session_auth_hash(), *probe.get_session_auth_fallback_hash())


@functools.cache
def _password_statement() -> str:
    user_model = auth.get_user_model()
    quote = connection.ops.quote_name
    fields = (cast(Field, user_model._meta.get_field(name)) for name in ("password", "is_active", "id"))
    password, active, pk = (quote(cast(str, field.column)) for field in fields)
    return f"SELECT {password}, {active} FROM {quote(user_model._meta.db_table)} WHERE {pk} = %s"  # noqa: S608


def same_origin(scope) -> bool:
    """The Origin header, when a browser sends one, must be this site (as Django's CSRF check requires)."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin")
    if origin is None:
        return True
    host = headers.get(b"host", b"").decode("latin-1")
    return origin.decode("latin-1").split("://", 1)[-1] == host
