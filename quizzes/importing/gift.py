"""Moodle's GIFT text format.

One question per block of lines (blocks separated by blank lines); ``//`` lines are comments; ``$CATEGORY:``
sets the topic of the questions that follow. A question is ``::title::[format]text {answers} more text``;
``\\~ \\= \\# \\{ \\} \\:`` are literal characters. Answers:

* ``{=right ~wrong ~wrong}`` single choice; ``{~%50%a ~%50%b ~%-100%c}`` multiple (positive weights correct);
* ``{T}`` / ``{FALSE}`` true/false; ``{=answer =other answer}`` short text (the accepted answers);
* ``{>…}`` ordering (the qtype_ordering plugin's extension: one item a line, in the correct order);
* ``#feedback`` after an answer is ignored, ``####feedback`` at the end becomes the explanation.

Matching (``->``), numerical (``{#…}``) and essay (``{}``) questions are returned with that type so that the
preview reports them; descriptions (no braces) are not questions and are skipped. Questions are named
"question N" or "question N (title)", N counting the questions of the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext as _

from .base import (
    MULTIPLE,
    ORDERING,
    SHORT_TEXT,
    SINGLE,
    TRUE_FALSE,
    ParsedChoice,
    ParsedQuestion,
    question_label,
    validate_question,
)
from .excel import FALSE_LABEL, MAX_QUESTIONS, TRUE_LABEL, no_questions, too_many_questions
from .moodle_xml import category_topic, html_to_text

# Escaped special characters are swapped for private-use code points while parsing, then swapped back.
ESCAPES = {"~": "\ue000", "=": "\ue001", "#": "\ue002", "{": "\ue003", "}": "\ue004", ":": "\ue005", "\\": "\ue006"}
RESTORE = str.maketrans({code: char for char, code in ESCAPES.items()})
HTML_FORMATS = frozenset({"html", "moodle"})
ORDERING_SETTINGS = re.compile(
    r"\s*(?:\d+\s*)?(?:(?:ALL|EXACT|RANDOM|REL|CONTIGUOUS|CONTIG|HORIZONTAL|HORI|H|VERTICAL|VERT|V|ALL_OR_NOTHING"
    r"|ABSOLUTE_POSITION|ABSOLUTE|ABS|RELATIVE\w*|LONGEST\w*)\b\s*)*"
)


def _protect(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else ESCAPES.get(m.group(1), m.group(0)), text)


def _clean(text: str, text_format: str) -> str:
    """Protected source text back to what the user sees."""
    text = text.translate(RESTORE)
    if text_format in HTML_FORMATS:
        return html_to_text(text)
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


def _blocks(text: str) -> Iterator[list[str]]:
    block: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("//"):
            continue
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def parse_gift(text: str) -> list[ParsedQuestion]:
    questions: list[ParsedQuestion] = []
    topic = ""
    for lines in _blocks(text.lstrip("\ufeff")):
        if lines[0].strip().startswith("$CATEGORY:"):
            topic = category_topic(lines[0].strip().removeprefix("$CATEGORY:"))
            lines = lines[1:]
            if not lines:
                continue
        source = _protect("\n".join(lines)).strip()
        title = ""
        if match := re.match(r"::(.*?)::", source, re.DOTALL):
            title = " ".join(match.group(1).translate(RESTORE).split())
            source = source[match.end() :].lstrip()
        text_format = ""
        if match := re.match(r"\[(html|moodle|plain|markdown)\]", source, re.IGNORECASE):
            text_format = match.group(1).lower()
            source = source[match.end() :]
        if "{" not in source:
            continue  # a description: text shown between questions, not a question
        if len(questions) >= MAX_QUESTIONS:
            raise too_many_questions()
        number = len(questions) + 1
        where = question_label(number, title)
        questions.append(validate_question(_question(where, source, text_format, topic)))
    if not questions:
        raise no_questions()
    return questions


def _question(where: str, source: str, text_format: str, topic: str) -> ParsedQuestion:
    start = source.index("{")
    end = source.find("}", start)
    question = ParsedQuestion(where=where, type=SINGLE, text=_clean(source[:start], text_format), topic=topic)
    if end < 0:
        question.errors.append(_("the answers are not closed by “}”"))
        return question
    after = _clean(source[end + 1 :], text_format)
    if after:  # "missing word" format: the answers stand for a gap in the sentence
        question.text = f"{question.text} _____ {after}".strip()
    body = source[start + 1 : end]
    if (mark := body.find("####")) >= 0:
        question.explanation = _clean(body[mark + 4 :], text_format)
        body = body[:mark]
    body = body.strip()

    if not body:
        question.type = "essay"
    elif body.startswith("#"):
        question.type = "numerical"
    elif body.startswith(">"):
        question.type = ORDERING
        lines = body[1:].split("\n")
        while lines and ORDERING_SETTINGS.fullmatch(lines[0]):
            lines.pop(0)
        question.choices = [ParsedChoice(_clean(line, text_format)) for line in lines]
    elif match := re.fullmatch(r"(TRUE|T|FALSE|F)\s*(?:#.*)?", body, re.IGNORECASE | re.DOTALL):
        question.type = TRUE_FALSE
        answer = match.group(1).upper().startswith("T")
        question.choices = [ParsedChoice(TRUE_LABEL, answer), ParsedChoice(FALSE_LABEL, not answer)]
    else:
        _read_answers(question, body, text_format)
    return question


def _read_answers(question: ParsedQuestion, body: str, text_format: str) -> None:
    lead, *parts = re.split(r"(?=[=~])", body)
    if lead.strip() or not parts:
        question.errors.append(_("cannot read the answers: each must start with “=” (right) or “~” (wrong)"))
        return
    answers = []  # (marker, weight or None, text)
    for part in parts:
        marker, rest = part[0], part[1:]
        weight = None
        if match := re.match(r"\s*%(-?\d+(?:[.,]\d+)?)%", rest):
            weight = float(match.group(1).replace(",", "."))
            rest = rest[match.end() :]
        rest = rest.split("#", 1)[0]  # per-answer feedback
        if marker == "=" and "->" in rest:
            question.type = "matching"
            return
        answers.append((marker, weight, _clean(rest, text_format)))
    if all(marker == "=" for marker, _weight, _text in answers):
        question.type = SHORT_TEXT
        question.choices = [ParsedChoice(text, True) for _m, weight, text in answers if weight is None or weight >= 100]
        return
    multiple = any(marker == "~" and weight is not None and weight > 0 for marker, weight, _text in answers)
    question.type = MULTIPLE if multiple else SINGLE
    question.partial_credit = multiple
    question.choices = [
        ParsedChoice(text, weight > 0 if weight is not None else marker == "=") for marker, weight, text in answers
    ]
