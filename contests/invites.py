"""The door of invite-only events, as every interface meets it: the codes a visitor has typed live in their
session, and each participant-facing view of a round, an entry, a board or a live game calls one of the
``require_*`` helpers below before showing anything. The rule itself is ``selectors.event_is_open_to``.

Objects that only their owner can open (an attempt and its autosave, one's own entry) need no call: the
owner came in through a round page that did check, and the rule lets whoever takes part in an event back in
anyway (``selectors.takes_part``).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from . import selectors
from .models import Event, Round

SESSION_KEY = "event_invite_codes"


def invite_codes(request_or_session) -> set[str]:
    """The invite codes this visitor has unlocked (from a request, or a session as Channels scopes carry it)."""
    session = getattr(request_or_session, "session", request_or_session)
    if session is None:
        return set()
    return set(session.get(SESSION_KEY, []))


def remember(request, event: Event) -> None:
    """Keep ``event``'s code in the visitor's session: their later requests pass its door."""
    codes = invite_codes(request)
    codes.add(event.invite_code)
    request.session[SESSION_KEY] = sorted(codes)


def require_round(request, round_id: int) -> Round:
    """The round of ``round_id`` if the visitor may enter its event, else Http404 (like a missing round)."""
    return selectors.access_round_for_participant(
        user=request.user, round_id=round_id, invite_codes=invite_codes(request)
    )


def require_open_event(request, event: Event) -> None:
    """Http404 unless the visitor may enter ``event`` (already loaded with the object that led to it)."""
    if not selectors.event_is_open_to(user=request.user, event=event, invite_codes=invite_codes(request)):
        raise Http404


def require_event(request, event_id: int) -> Event:
    """The event of ``event_id`` if the visitor may enter it, else Http404."""
    return selectors.access_event_for_participant(
        user=request.user, event_id=event_id, invite_codes=invite_codes(request)
    )


def scope_may_enter_round(scope, round_id: int | None) -> bool:
    """For WebSocket consumers (sync; wrap in ``database_sync_to_async``): whether the connection's user and
    session may enter the event of ``round_id`` (None: a game or board of no round, open as before)."""
    if round_id is None:
        return True
    user = scope.get("user") or AnonymousUser()
    try:
        selectors.access_round_for_participant(
            user=user, round_id=round_id, invite_codes=invite_codes(scope.get("session"))
        )
    except Http404:
        return False
    return True
