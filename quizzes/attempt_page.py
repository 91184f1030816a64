"""The questions of the attempt page (navigation and cards, with the saved answers shown), built in two
queries without model instances or template rendering.

Why: at a deadline rush every participant opens the attempt page at once, and 70 % of its server CPU was
Django's template engine rendering the 20 question cards (129,000 node renders and 143,000 variable lookups for
200 pages: bench/quiz_submit.py --profile, docs/benchmarks.md). Caching the rendered cards per attempt does not
help there, because each participant opens the page once; what does is a card that costs no template: the
markup below is the one `_question_card.html` renders for practice, every text escaped here (``escape``,
``linebreaksbr``), choices named by the attempt's opaque tokens (``choice_tokens``), no answer key read. The
plain form (no JavaScript) shows every saved answer, as before.
"""

from __future__ import annotations

from html import escape  # what django.utils.html.escape calls, without its lazy-string check (~120 calls a page)

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .choice_tokens import ChoiceTokens, attempt_scope
from .importing.base import MULTIPLE, ORDERING, SHORT_TEXT
from .models import Attempt, AttemptItem, Question
from .selectors import question_display_texts


def attempt_page_parts(*, attempt: Attempt) -> dict[str, str]:
    """``nav`` (the question links) and ``cards`` (the form's questions) of ``attempt``'s page in the active
    language, with the saved answers checked. Safe HTML: every text from the database is escaped here."""
    items = list(
        AttemptItem.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list("position", "choice_order", "response", "question_id")
    )
    shown = question_display_texts({item[3] for item in items})  # cached: every participant opens the same
    words = _Words()
    scope = attempt_scope(attempt)
    nav, cards = [], []
    for position, choice_order, response, question_id in items:
        qtype, text, image, choice_texts = shown[question_id]
        answered = response not in (None, [], "")
        nav.append(
            f'<a href="#question-{position}" id="nav-{position}" class="{"answered" if answered else ""}">{position}'
            f'<span class="answered-mark" aria-hidden="true">✓</span>'
            f'<span class="visually-hidden">{words.answered if answered else ""}</span></a>'
        )
        tokens = ChoiceTokens(scope=scope, choice_ids=choice_order)
        choices = [(tokens.token(cid), escape(choice_texts[cid])) for cid in choice_order]
        image_html = (
            f'<img class="question-image" src="{reverse("question_image", args=[question_id])}" alt="{words.picture}">'
            if image
            else ""
        )
        cards.append(
            f'<fieldset class="question-card" id="question-{position}" '
            f'data-position="{position}" data-type="{qtype}">\n'
            f"  <legend><strong>{words.question(position)}</strong>\n"
            f'    <small class="muted">{words.type_label(qtype)}</small></legend>\n'
            f'  <p class="question-text">{linebreaksbr(text, autoescape=True)}</p>\n'
            f"  {image_html}\n"
            f"{_answer_html(qtype, position, choices, _shown_response(qtype, response, tokens), words)}"
            "</fieldset>\n"
        )
    # Safe: built above from fixed markup, tokens, numbers and escaped texts.
    return {"nav": mark_safe("".join(nav)), "cards": mark_safe("".join(cards))}  # noqa: S308


def _shown_response(qtype: str, response, tokens: ChoiceTokens):
    """The saved answer as the page names it: tokens (a set for multiple choice), or the text."""
    if response is None or qtype == SHORT_TEXT:
        return response
    if qtype == MULTIPLE:
        return {tokens.by_id[cid] for cid in response if cid in tokens.by_id}
    if qtype == ORDERING:
        return [tokens.by_id[cid] for cid in response if cid in tokens.by_id]
    return tokens.by_id.get(response)


def _answer_html(qtype: str, position: int, choices: list[tuple[str, str]], given, words: _Words) -> str:
    name = f"q{position}"
    if qtype == SHORT_TEXT:
        value = escape(given) if given is not None else ""
        return (
            f'  <label for="{name}-text">{words.your_answer}</label>\n'
            f'  <input type="text" id="{name}-text" name="{name}" maxlength="300" autocomplete="off" value="{value}">\n'
        )
    if qtype == ORDERING:
        saved = {token: place for place, token in enumerate(given or [], 1)}
        rows = [f'  <p class="muted">{words.ordering_help}</p>\n']
        for shown_at, (token, text) in enumerate(choices, 1):
            place = saved.get(token, shown_at)  # the saved place, else the place it is shown at
            options = "".join(
                f'<option value="{option}"{" selected" if option == place else ""}>{option}</option>'
                for option in range(1, len(choices) + 1)
            )
            rows.append(
                f'  <div class="ordering-row">\n'
                f'    <select name="{name}_{token}" id="{name}-{token}" data-choice="{token}">{options}</select>\n'
                f'    <label for="{name}-{token}">{text}</label>\n'
                f"  </div>\n"
            )
        return "".join(rows)
    kind = "checkbox" if qtype == MULTIPLE else "radio"
    checked = (given or set()) if qtype == MULTIPLE else {given}
    return (
        "  "
        + "".join(
            f'<label class="choice"><input type="{kind}" name="{name}" value="{token}"'
            f"{' checked' if token in checked else ''}> {text}</label>"
            for token, text in choices
        )
        + "\n"
    )


class _Words:
    """The page's fixed words in the active language, translated once per page."""

    def __init__(self):
        self.answered = escape(_("answered"))
        self.picture = escape(_("Picture for this question"))
        self.your_answer = escape(_("Your answer"))
        self.ordering_help = escape(_("Give each item its place: 1 first."))
        self._every_right = escape(_("choose every right answer"))
        self._question = _("Question %(n)s")
        self._types: dict[str, str] = {}

    def question(self, position: int) -> str:
        return escape(self._question % {"n": position})

    def type_label(self, qtype: str) -> str:
        if qtype not in self._types:
            label = escape(str(Question.Type(qtype).label))
            self._types[qtype] = f"{label} · {self._every_right}" if qtype == MULTIPLE else label
        return self._types[qtype]
