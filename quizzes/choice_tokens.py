"""Opaque choice identifiers: what a participant's page, autosave body, live message and practice form carry
instead of database ids.

Why: choices are created in the author's order, so their ids ascend in that order. Sorting the ids of an
ordering question gives its answer, and for the other types the ids give away the author's listing order
(GIFT lists the right answer first). A token is an HMAC of the choice id under a secret key and a *scope*
(one attempt, one live question, one practice page): nothing a participant sees correlates with the stored
order, and the tokens of one attempt say nothing about another's. The database keeps choice ids; tokens
exist only at the edge, turned back into ids before a service sees the answer.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings

from .grading import InvalidResponse
from .importing.base import MULTIPLE, ORDERING, SHORT_TEXT

TOKEN_LENGTH = 12  # 60 bits: a collision among the ≤ 20 choices of a question is out of reach


@functools.lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"quizzes.choice_tokens:" + secret.encode()).digest()


def choice_token(*, scope: str, choice_id: int) -> str:
    """The token of one choice in one scope: lower-case letters and digits 2–7, stable within the scope."""
    return _token(_key(settings.SECRET_KEY), scope, choice_id)


# An attempt's tokens are asked for again and again: its page (every choice), each autosave (the choices of
# its question) and its submit (every choice), about 180 HMACs per attempt of 20 questions. Remembered per
# process for the attempts in progress; the key is part of the entry, so another SECRET_KEY never meets them.
@functools.lru_cache(maxsize=100_000)
def _token(key: bytes, scope: str, choice_id: int) -> str:
    digest = hmac.new(key, f"{scope}:{choice_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()[:TOKEN_LENGTH]


def attempt_scope(attempt) -> str:
    """The scope of an attempt's tokens; ``attempt`` is an attempt or its id (the autosave reads only ids)."""
    return f"attempt:{attempt if isinstance(attempt, int) else attempt.pk}"


def live_scope(session, question_index: int) -> str:
    return f"live:{session.pk}:{question_index}"


def practice_scope(nonce: str) -> str:
    return f"practice:{nonce}"


class ChoiceTokens:
    """The two-way map between the choice ids of one question and their tokens in one scope."""

    def __init__(self, *, scope: str, choice_ids: Iterable[int]):
        self.by_id = {cid: choice_token(scope=scope, choice_id=cid) for cid in choice_ids}
        self.by_token = {token: cid for cid, token in self.by_id.items()}

    def token(self, choice_id: int) -> str:
        return self.by_id[choice_id]

    def choice_id(self, token) -> int:
        """The choice behind a token sent by a client; InvalidResponse for anything else (an id included)."""
        if not isinstance(token, str) or token not in self.by_token:
            raise InvalidResponse("unknown choice")
        return self.by_token[token]

    def response_from_client(self, question_type: str, response):
        """A response as a client sends it (tokens) → as services store and grade it (choice ids).

        Only the tokens are translated; the shape is checked by ``grading.clean_response`` afterwards.
        ``None`` (clear the answer) and short-text answers pass through unchanged.
        """
        if response is None or question_type == SHORT_TEXT:
            return response
        if question_type in (MULTIPLE, ORDERING):
            if not isinstance(response, list):
                raise InvalidResponse("expected a list of choices")
            return [self.choice_id(token) for token in response]
        return self.choice_id(response)

    def response_to_client(self, question_type: str, response):
        """A stored response (choice ids) → tokens, to show a saved answer again."""
        if response is None or question_type == SHORT_TEXT:
            return response
        if isinstance(response, list):
            return [self.by_id[cid] for cid in response if cid in self.by_id]
        return self.by_id.get(response)
