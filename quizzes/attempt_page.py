"""The attempt page's questions, rendered once per attempt and language, with the saved answers filled in on
every request.

Why: at a deadline rush every participant opens (and reloads) the attempt page, and 70 % of its cost was
rendering the 20 question cards again, with their choices, tokens and translations, although none of it
changes during the attempt except which choices are checked (bench/quiz_submit.py --profile,
docs/benchmarks.md). The cards are rendered once with *slots* where the saved answer goes (``<@c|3|tok@>``
where a choice may be checked, ``<@t|3@>`` for a text answer, …) and cached; a request reads the saved answers
in one query (no model instances) and fills the slots with one regular expression pass. The slots cannot be
forged by a question's author: ``<`` in any text is escaped by the template, so ``<@`` only comes from the
card templates. The plain form (no JavaScript) still shows every saved answer: it is filled on the server.

A wording fix of a question (allowed while attempts use it, ``services.question_save``) moves
``questions_version`` and so shows at the next reload.
"""

from __future__ import annotations

import re

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from .choice_tokens import attempt_scope, choice_token
from .importing.base import MULTIPLE, ORDERING, SHORT_TEXT
from .models import Attempt, AttemptItem

NAMESPACE = "quizzes:attempt-cards"  # tests use one of their own (conftest.py): their ids are reused
VERSION_KEY = "quizzes:questions-version"
SLOT = re.compile(r"<@(\w)\|([^@]*)@>")


def questions_version() -> int:
    return cache.get_or_set(VERSION_KEY, 1, timeout=None)


def questions_changed() -> None:
    """A question's wording may have changed: cached attempt pages are rendered again."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new value differs from the keys in use
        cache.set(VERSION_KEY, 2, timeout=None)


def _cards(attempt: Attempt, language: str) -> dict[str, str]:
    from .selectors import attempt_questions

    # The seed and start moment as well as the id: an id reused (a test database, a restored backup) never
    # meets another attempt's cards.
    stamp = f"{attempt.pk}:{attempt.seed}:{attempt.started_at.timestamp()}"
    key = f"{NAMESPACE}:{stamp}:{language}:{questions_version()}"
    cards = cache.get(key)
    if cards is None:
        questions = attempt_questions(attempt=attempt)
        cards = {
            "nav": render_to_string("quizzes/_attempt_nav.html", {"questions": questions}),
            "cards": "".join(render_to_string("quizzes/_attempt_card.html", {"shown": q}) for q in questions),
        }
        # Kept for the attempt's life (its deadline is at most the round's close) plus a margin for the grace.
        lifetime = (attempt.deadline - attempt.started_at).total_seconds() + 3600
        cache.set(key, cards, timeout=max(60, int(lifetime)))
    return cards


class _SavedAnswers:
    """What the slots need to know of the saved answers: tokens checked, texts, ordering places."""

    def __init__(self, attempt: Attempt):
        scope = attempt_scope(attempt)
        self.checked: set[tuple[str, str]] = set()  # (position, token)
        self.texts: dict[str, str] = {}
        self.places: dict[tuple[str, str], int] = {}  # ordering: (position, token) -> saved place
        self.answered: set[str] = set()
        rows = AttemptItem.objects.filter(attempt=attempt).values_list("position", "response", "question__type")
        for position, response, qtype in rows:
            pos = str(position)
            if response is None or response == [] or response == "":
                continue
            self.answered.add(pos)
            if qtype == SHORT_TEXT:
                self.texts[pos] = str(response)
            elif qtype == ORDERING:
                for place, cid in enumerate(response, 1):
                    self.places[(pos, choice_token(scope=scope, choice_id=cid))] = place
            elif qtype == MULTIPLE:
                self.checked.update((pos, choice_token(scope=scope, choice_id=cid)) for cid in response)
            else:
                self.checked.add((pos, choice_token(scope=scope, choice_id=response)))

    def fill(self, match: re.Match) -> str:
        kind, args = match.group(1), match.group(2).split("|")
        pos = args[0]
        if kind == "c":
            return "checked" if (pos, args[1]) in self.checked else ""
        if kind == "t":
            return escape(self.texts.get(pos, ""))
        if kind == "s":  # the saved place of the choice, else the place it is shown at
            token, option, shown_at = args[1], int(args[2]), int(args[3])
            return "selected" if self.places.get((pos, token), shown_at) == option else ""
        if kind == "a":
            return "answered" if pos in self.answered else ""
        if kind == "h":
            return args[1] if pos in self.answered else ""
        return ""


def attempt_page_parts(*, attempt: Attempt) -> dict[str, str]:
    """The question navigation and the question cards of ``attempt``'s page, in the active language, with the
    saved answers shown. Safe HTML (rendered by the templates, answers escaped)."""
    cards = _cards(attempt, get_language() or "")
    saved = _SavedAnswers(attempt)
    # Safe: rendered by our templates (every text escaped there), the slots filled with fixed words, tokens
    # and escaped answers.
    return {name: mark_safe(SLOT.sub(saved.fill, html)) for name, html in cards.items()}  # noqa: S308
