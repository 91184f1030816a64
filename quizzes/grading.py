"""Grading rules, pure: a question's key and a response in, points out. No database, no time.

Responses as the client sends them (and ``AttemptItem.response`` stores them):
- single, true_false: a choice id (int);
- multiple: a list of choice ids;
- short_text: a string;
- ordering: the list of all choice ids in the order the participant put them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .importing.base import MULTIPLE, ORDERING, SHORT_TEXT, SINGLE, TRUE_FALSE

MAX_TEXT_ANSWER = 300


@dataclass(frozen=True)
class AnswerKey:
    type: str
    points: Decimal
    choice_ids: tuple[int, ...]  # every choice, in its stored order (ordering: the right order)
    correct_ids: frozenset[int]
    accepted_texts: tuple[str, ...] = ()  # short text
    partial_credit: bool = False
    ignore_diacritics: bool = False


class InvalidResponse(ValueError):
    """The response does not fit the question (unknown choice, wrong shape): refused, never graded."""


def normalise_text(value: str, *, ignore_diacritics: bool) -> str:
    """Case-fold, collapse whitespace, drop surrounding punctuation; optionally drop Vietnamese diacritics.

    "đ" is a letter of its own in Unicode (not d + a mark), so it is mapped to "d" by hand.
    """
    # Case folding can decompose a letter ("İ" → "i" + dot), so compose again; marks go before spaces and
    # punctuation are trimmed, which a dropped mark may uncover: normalising twice then changes nothing.
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", value).casefold())
    if ignore_diacritics:
        text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
        text = text.replace("đ", "d")
        text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", " ", text).strip(" .,;:!?\"'“”‘’()")


def _is_choice_ids(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in value)


def _is_storable_text(value: str) -> bool:
    """PostgreSQL refuses NUL and lone UTF-16 surrogates (which JSON's "\\ud800" escapes can carry)."""
    return "\x00" not in value and not any("\ud800" <= ch <= "\udfff" for ch in value)


def clean_response(key: AnswerKey, response: Any) -> Any:
    """Return the response in canonical form, or raise InvalidResponse. ``None`` clears an answer."""
    if response is None:
        return None
    known = set(key.choice_ids)
    if key.type in (SINGLE, TRUE_FALSE):
        if not isinstance(response, int) or isinstance(response, bool) or response not in known:
            raise InvalidResponse("unknown choice")
        return response
    if key.type == MULTIPLE:
        if not _is_choice_ids(response):
            raise InvalidResponse("expected a list of choices")
        if not set(response) <= known:
            raise InvalidResponse("unknown choice")
        return sorted(set(response))
    if key.type == SHORT_TEXT:
        if not isinstance(response, str) or len(response) > MAX_TEXT_ANSWER or not _is_storable_text(response):
            raise InvalidResponse("expected a short text")
        return response.strip()
    if key.type == ORDERING:
        if not _is_choice_ids(response) or sorted(response) != sorted(known) or len(response) != len(known):
            raise InvalidResponse("expected every item once")
        return list(response)
    raise InvalidResponse("unknown question type")


def grade(key: AnswerKey, response: Any) -> Decimal:
    """Points earned by ``response`` (already cleaned). No answer earns 0.

    Multiple choice with partial credit gives (right picks − wrong picks) ÷ number of right choices,
    never below 0: ticking every box must not earn marks, which plain "credit per right pick" would allow.
    Ordering is all-or-nothing: a half-right order usually reflects a wrong understanding of the process.
    """
    if response is None or response == "" or response == []:
        return Decimal(0)
    if key.type in (SINGLE, TRUE_FALSE):
        share = Decimal(1 if response in key.correct_ids else 0)
    elif key.type == MULTIPLE:
        picked = set(response)
        if not key.partial_credit:
            share = Decimal(1 if picked == key.correct_ids else 0)
        else:
            right, wrong = len(picked & key.correct_ids), len(picked - key.correct_ids)
            share = max(Decimal(0), Decimal(right - wrong) / Decimal(len(key.correct_ids)))
    elif key.type == SHORT_TEXT:
        given = normalise_text(response, ignore_diacritics=key.ignore_diacritics)
        accepted = {normalise_text(t, ignore_diacritics=key.ignore_diacritics) for t in key.accepted_texts}
        share = Decimal(1 if given and given in accepted else 0)
    elif key.type == ORDERING:
        share = Decimal(1 if tuple(response) == key.choice_ids else 0)
    else:
        share = Decimal(0)
    return (key.points * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
