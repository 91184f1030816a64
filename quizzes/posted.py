"""How the plain forms of the attempt and practice pages post an answer (browsers without JavaScript, and the
final submit): ``q3=<token>`` (one choice or a text), ``q4=<token>&q4=<token>`` (several choices),
``q5_<token>=<place>`` (an ordering). Choices are named by opaque tokens (``choice_tokens``); the services
turn them into ids and check them."""

from __future__ import annotations

from .importing.base import MULTIPLE, ORDERING, SHORT_TEXT


def posted_answer(qtype: str, name: str, shown_tokens: list[str], form):
    """One question's answer as the plain form posts it (tokens; ``shown_tokens`` in display order), or None
    when it posted nothing for it."""
    if qtype == MULTIPLE:
        return form.getlist(name) or None
    if qtype == SHORT_TEXT:
        return form[name] if form.get(name, "").strip() else None
    if qtype == ORDERING:
        ranks = {token: form.get(f"{name}_{token}", "") for token in shown_tokens}
        if not ranks or not all(rank.isdigit() for rank in ranks.values()):
            return None
        return [token for token, _rank in sorted(ranks.items(), key=lambda pair: int(pair[1]))]
    return form.get(name) or None
