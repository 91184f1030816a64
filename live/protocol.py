"""The live protocol's incoming messages: one schema per type, checked before anything else runs.

Every message is a JSON object with a ``type``; anything else gets an ``error`` reply with a code and a
message in the user's language, and changes nothing. docs/live-protocol.md lists every message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

MAX_MESSAGE_BYTES = 4096
ANSWER = (int, list, str, type(None))

PLAYER_MESSAGES: dict[str, dict[str, tuple]] = {
    "join": {"nickname": (str,)},
    "rejoin": {"token": (str,)},
    "answer": {"question": (int,), "response": ANSWER},
    "ping": {},
}
HOST_MESSAGES: dict[str, dict[str, tuple]] = {
    "start": {},
    "next": {},
    "reveal": {},
    "leaderboard": {},
    "skip": {},
    "pause": {},
    "resume": {},
    "end": {},
    "kick": {"player": (int,)},
    "lock": {"locked": (bool,)},
    "ping": {},
}

ERRORS = {
    "too_large": _("The message is too large."),
    "bad_json": _("The message is not valid JSON."),
    "bad_message": _("The message does not follow the protocol."),
    "unknown_type": _("Unknown message type."),
    "rate_limited": _("Too many messages: slow down."),
    "not_joined": _("Join the game first."),
    "already_joined": _("You have already joined."),
    "nickname_empty": _("Choose a nickname."),
    "nickname_too_long": _("A nickname has at most 20 characters."),
    "nickname_rude": _("Please choose another nickname."),
    "nickname_taken": _("That nickname is taken in this game."),
    "nickname_blocked": _("That nickname was removed by the host."),
    "login_required": _("Sign in to join this game."),
    "locked": _("The host has locked the game."),
    "ended": _("The game has ended."),
    "pin_guessing": _("Too many wrong PINs were typed from this network. Wait a few minutes, then try again."),
    "bad_token": _("Your place in the game could not be found; join again."),
    "kicked": _("The host removed you from the game."),
    "no_question": _("There is no question to answer now."),
    "wrong_question": _("That question is no longer open."),
    "too_late": _("Time is up for this question."),
    "bad_answer": _("That answer does not fit the question."),
    "not_allowed": _("Only the host can do that."),
    "bad_state": _("That cannot be done now."),
    "unknown_player": _("No such player."),
}


@dataclass(frozen=True)
class ProtocolError(Exception):
    code: str

    def as_message(self) -> dict:
        return {"type": "error", "code": self.code, "message": str(ERRORS.get(self.code, self.code))}


def parse(text: str | None, schema: dict[str, dict[str, tuple]]) -> dict:
    """Decode and validate one incoming message; raise ProtocolError with a code if it does not fit."""
    if text is None or len(text.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large" if text else "bad_message")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("bad_json") from exc
    if not isinstance(message, dict) or not isinstance(message.get("type"), str) or not _is_text(message):
        raise ProtocolError("bad_message")
    fields = schema.get(message["type"])
    if fields is None:
        raise ProtocolError("unknown_type")
    for name, types in fields.items():
        value = message.get(name)
        if name not in message and type(None) not in types:
            raise ProtocolError("bad_message")
        if isinstance(value, bool) and bool not in types:
            raise ProtocolError("bad_message")
        if not isinstance(value, types):
            raise ProtocolError("bad_message")
    if set(message) - set(fields) - {"type", "id"}:
        raise ProtocolError("bad_message")
    return message


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _is_text(value) -> bool:
    """Whether every string in a decoded message is text that can be stored and signed: JSON's escapes can
    smuggle a NUL ("\\u0000") or a lone surrogate ("\\ud800"), which PostgreSQL and Django's signing refuse
    with an exception instead of an answer. A loop, not recursion: a 4 KB message may nest a thousand deep."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and UNSTORABLE.search(item):
            return False
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
    return True


def encode(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))
