"""Moodle XML (``<quiz><question type="…">``), as Moodle's question bank exports it.

Category pseudo-questions set the topic of the questions after them; descriptions are skipped; question types
the platform has no equivalent for (matching, numerical, essay…) come back with that type, so that the preview
reports them instead of dropping them. Questions are named "question N (name)", N counting real questions.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import defusedxml
import defusedxml.ElementTree
from django.utils.translation import gettext as _

from .base import (
    MULTIPLE,
    ORDERING,
    SHORT_TEXT,
    SINGLE,
    TRUE_FALSE,
    ImportFileError,
    ParsedChoice,
    ParsedQuestion,
    question_label,
    validate_question,
)
from .excel import FALSE_LABEL, MAX_QUESTIONS, TRUE_LABEL, no_questions, too_many_questions

# --- Shared with the GIFT importer ---------------------------------------------------------------------------

BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "tr", "table", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags dropped (script/style with their content), entities unescaped,
    blocks and ``<br>`` as line breaks, runs of spaces collapsed."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def category_topic(path: str) -> str:
    """The topic named by a Moodle category path: its last segment ("$course$/top/An toàn mạng" → "An toàn
    mạng"). Moodle writes a "/" inside a name as "//"."""
    segments = [part.replace("//", "/").strip() for part in re.split(r"(?<!/)/(?!/)", path.strip().strip("/"))]
    segments = [part for part in segments if part]
    if not segments or segments[-1].lower() == "top" or segments[-1].startswith("$"):
        return ""
    return segments[-1]


# --- Moodle XML ----------------------------------------------------------------------------------------------

SKIPPED = frozenset({"description"})
HTML_FORMATS = frozenset({"html", "moodle_auto_format", ""})


def parse_moodle_xml(data: bytes) -> list[ParsedQuestion]:
    root = _parse_document(data)
    questions: list[ParsedQuestion] = []
    topic = ""
    number = 0
    for element in root.findall("question"):
        kind = (element.get("type") or "").strip().lower()
        if kind == "category":
            topic = category_topic(element.findtext("category/text") or "")
            continue
        if kind in SKIPPED:
            continue
        number += 1
        if len(questions) >= MAX_QUESTIONS:
            raise too_many_questions()
        name = " ".join((element.findtext("name/text") or "").split())
        question = ParsedQuestion(
            where=question_label(number, name),
            type=kind or "?",
            text=_formatted(element.find("questiontext")),
            topic=topic,
            explanation=_formatted(element.find("generalfeedback")),
            points=_number(element.findtext("defaultgrade"), 1.0),
        )
        _read_answers(element, question)
        questions.append(validate_question(question))
    if not questions:
        raise no_questions()
    return questions


def _parse_document(data: bytes) -> ET.Element:
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if b"\x00" in data[:200]:
        raise ImportFileError(_("The XML file is not UTF-8 (it looks like UTF-16); export it again as UTF-8."))
    if re.search(rb"<!\s*(?:DOCTYPE|ENTITY)", data, re.IGNORECASE):
        raise declarations_refused()
    root = xml_root(data)
    if root.tag != "quiz":
        raise ImportFileError(
            _("This XML file is not a Moodle question export (its root is <%(tag)s>, not <quiz>).") % {"tag": root.tag}
        )
    return root


def declarations_refused() -> ImportFileError:
    return ImportFileError(
        _(
            "The XML file declares a DOCTYPE or entities, which are refused for safety (they can expand to "
            "huge or outside content). Moodle's own export has neither: export the questions again."
        )
    )


def xml_root(data: bytes) -> ET.Element:
    """The document's root through defusedxml, with DTDs, entities and external references forbidden.

    Why both this and the byte search above: the search gives the clear message for the usual case, while
    defusedxml sees what the parser sees (a declaration in another encoding, one the pattern misses), so a
    billion-laughs or external-entity document is refused whatever its spelling.
    """
    try:
        return defusedxml.ElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise declarations_refused() from exc
    except ET.ParseError as exc:
        raise ImportFileError(_("The file is not valid XML: %(error)s.") % {"error": exc}) from exc


def _formatted(element: ET.Element | None) -> str:
    """The text of a Moodle text field (``<questiontext format="html"><text>…</text>``), as plain text."""
    if element is None:
        return ""
    text = element.findtext("text") or ""
    if (element.get("format") or "").lower() in HTML_FORMATS:
        return html_to_text(text)
    return text.strip()


def _number(value: str | None, default: float) -> float:
    try:
        return float((value or "").strip())
    except ValueError:
        return default


def _read_answers(element: ET.Element, question: ParsedQuestion) -> None:
    answers = [(_number(answer.get("fraction"), 0.0), _formatted(answer)) for answer in element.findall("answer")]
    kind = question.type
    if kind == "multichoice":
        single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
        question.type = SINGLE if single else MULTIPLE
        question.choices = [ParsedChoice(text, fraction > 0) for fraction, text in answers]
        question.partial_credit = not single and any(0 < fraction < 100 for fraction, _text in answers)
    elif kind == "truefalse":
        question.type = TRUE_FALSE
        by_word = {text.strip().lower(): fraction > 0 for fraction, text in answers}
        if {"true", "false"} <= by_word.keys():
            true_correct, false_correct = by_word["true"], by_word["false"]
        else:  # Moodle writes "true" then "false"; trust the order if the words are otherwise
            true_correct, false_correct = ([fraction > 0 for fraction, _text in answers] + [False, False])[:2]
        question.choices = [ParsedChoice(TRUE_LABEL, true_correct), ParsedChoice(FALSE_LABEL, false_correct)]
    elif kind == "shortanswer":
        question.type = SHORT_TEXT
        question.choices = [ParsedChoice(text, True) for fraction, text in answers if fraction >= 99.99]
    elif kind == "ordering":
        question.type = ORDERING  # qtype_ordering keeps each item's position (1, 2, 3…) in its fraction
        fractions = [fraction for fraction, _text in answers]
        if len(set(fractions)) == len(fractions):
            answers = sorted(answers, key=lambda answer: answer[0])
        question.choices = [ParsedChoice(text) for _fraction, text in answers]
