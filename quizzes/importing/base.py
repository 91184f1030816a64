"""The contract between every importer and the import service: what one parsed question looks like."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..question_types import MULTIPLE, ORDERING, QUESTION_TYPES, SHORT_TEXT, SINGLE, TRUE_FALSE

__all__ = ["MULTIPLE", "ORDERING", "QUESTION_TYPES", "SHORT_TEXT", "SINGLE", "TRUE_FALSE"]  # importers' names


@dataclass
class ParsedChoice:
    """One choice. For ``short_text`` each choice is an accepted answer (all ``is_correct``); for
    ``ordering`` the choices are listed in the correct order (``is_correct`` is ignored)."""

    text: str
    is_correct: bool = False


@dataclass
class ParsedQuestion:
    """A question as read from a file, before it touches the database.

    ``where`` names the question in messages the way its file does ("row 12", "question 3 (Q-phishing)");
    ``errors`` lists what is wrong with it in the user's language; empty means importable.
    """

    where: str
    type: str
    text: str
    choices: list[ParsedChoice] = field(default_factory=list)
    topic: str = ""
    difficulty: int = 2  # 1 easy, 2 medium, 3 hard
    explanation: str = ""
    resource_url: str = ""
    resource_title: str = ""
    partial_credit: bool = False  # multiple choice: credit per correct choice instead of all-or-nothing
    ignore_diacritics: bool = False  # short text: "Ha Noi" accepted for "Hà Nội"
    time_limit_s: int | None = None  # used by live quizzes (Kahoot's column); self-paced rounds ignore it
    points: float = 1.0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ParsedQuestion:
        values = dict(data)
        values["choices"] = [ParsedChoice(**choice) for choice in values.get("choices", [])]
        return cls(**values)


def row_label(line: int) -> str:
    """How a spreadsheet question is named in messages: "row 12", in the user's language."""
    from django.utils.translation import gettext as _

    return _("row %(n)d") % {"n": line}


def question_label(number: int, title: str = "") -> str:
    """How a GIFT/Moodle question is named in messages: "question 3 (title)"."""
    from django.utils.translation import gettext as _

    if title:
        return _("question %(n)d (%(title)s)") % {"n": number, "title": title}
    return _("question %(n)d") % {"n": number}


class ImportFileError(Exception):
    """The file as a whole cannot be read in the format (not a workbook, not XML, empty…)."""


MAX_TEXT = 2000
MAX_CHOICES = 10
MAX_CHOICE_TEXT = 500  # the limits of the models (quizzes.models), checked here so the preview shows them
MAX_TOPIC = 120
MAX_URL = 200
MAX_POINTS = 9999


def validate_question(question: ParsedQuestion) -> ParsedQuestion:
    """Append to ``question.errors`` every rule it breaks; return it. Shared by every importer and the editor,
    so that a question means the same whichever door it came in by."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator
    from django.utils.translation import gettext as _

    errors = question.errors
    if question.type not in QUESTION_TYPES:
        errors.append(_("question type “%(type)s” is not supported") % {"type": question.type})
        return question
    if not question.text.strip():
        errors.append(_("no question text"))
    elif len(question.text) > MAX_TEXT:
        errors.append(_("question text longer than %(n)d characters") % {"n": MAX_TEXT})
    choices = [c for c in question.choices if c.text.strip()]
    question.choices = choices
    correct = sum(1 for c in choices if c.is_correct)
    if len(choices) > MAX_CHOICES:
        errors.append(_("more than %(n)d choices") % {"n": MAX_CHOICES})
    if question.type in (SINGLE, MULTIPLE, ORDERING) and len(choices) < 2:
        errors.append(_("at least two choices are needed"))
    if question.type in (SINGLE, TRUE_FALSE) and correct != 1:
        errors.append(_("no correct answer") if correct == 0 else _("more than one correct answer"))
    if question.type == MULTIPLE and correct == 0:
        errors.append(_("no correct answer"))
    if question.type == TRUE_FALSE and len(choices) != 2:
        errors.append(_("a true/false question has exactly two choices"))
    if question.type == SHORT_TEXT and not choices:
        errors.append(_("no accepted answer"))
    if len({c.text.strip().lower() for c in choices}) != len(choices):
        errors.append(_("two choices have the same text"))
    if any(len(c.text) > MAX_CHOICE_TEXT for c in choices):
        errors.append(_("a choice is longer than %(n)d characters") % {"n": MAX_CHOICE_TEXT})
    if len(question.topic) > MAX_TOPIC:
        errors.append(_("the topic is longer than %(n)d characters") % {"n": MAX_TOPIC})
    if len(question.resource_title) > MAX_URL or len(question.resource_url) > MAX_URL:
        errors.append(_("the resource link or its title is too long"))
    if question.points > MAX_POINTS or round(question.points, 2) != question.points:
        errors.append(_("points must be at most %(n)d with two decimals") % {"n": MAX_POINTS})
    if question.difficulty not in (1, 2, 3):
        errors.append(_("difficulty must be 1 (easy), 2 (medium) or 3 (hard)"))
    if question.points <= 0:
        errors.append(_("points must be positive"))
    if question.time_limit_s is not None and not 5 <= question.time_limit_s <= 600:
        errors.append(_("time limit must be between 5 and 600 seconds"))
    if question.resource_url:
        try:
            URLValidator(schemes=["http", "https"])(question.resource_url)
        except ValidationError:
            errors.append(_("the resource link is not a valid http(s) address"))
    return question
