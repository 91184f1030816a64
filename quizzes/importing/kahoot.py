"""Kahoot!'s quiz spreadsheet template (.xlsx).

Its first sheet has a few title and instruction rows, then a header row: an unnamed column for the question
number, "Question - max 120 characters", "Answer 1 - max 75 characters" … "Answer 4 …", "Time limit (sec) – 5,
10, 20, 30, 60, 90, 120, or 240 secs" and "Correct answer(s) - choose at least one" (answer numbers, "2" or
"1,3"). Questions are named by their Excel row ("row 9").
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from .base import (
    MULTIPLE,
    SINGLE,
    TRUE_FALSE,
    ImportFileError,
    ParsedChoice,
    ParsedQuestion,
    row_label,
    validate_question,
)
from .excel import (
    FALSE_LABEL,
    MAX_QUESTIONS,
    TRUE_LABEL,
    cell_text,
    choice_positions,
    load_xlsx,
    no_questions,
    norm,
    sheet_rows,
    too_many_questions,
)

HEADER_SCAN_ROWS = 30
ANSWER_HEADER = re.compile(r"^answer ?(\d+)")
KAHOOT_WORDING = ("max 120 characters", "max 75 characters", "time limit (sec)", "correct answer(s)")
TRUE_FALSE_WORDS = {"true": True, "đúng": True, "false": False, "sai": False}


def _header_columns(row: tuple) -> dict[str, int] | None:
    """The column of each field if ``row`` is Kahoot's header row (a "Question…" and an "Answer 1…" cell)."""
    columns: dict[str, int] = {}
    for index, value in enumerate(row):
        label = norm(cell_text(value))
        if label.startswith("question") and "question" not in columns:
            columns["question"] = index
        elif match := ANSWER_HEADER.match(label):
            columns.setdefault(f"answer_{int(match.group(1))}", index)
        elif label.startswith("time limit"):
            columns.setdefault("time_limit", index)
        elif label.startswith("correct"):
            columns.setdefault("correct", index)
    return columns if "question" in columns and "answer_1" in columns else None


def _find_header(rows) -> tuple[int, tuple, dict[str, int]] | None:
    """Scan the first rows of an iterator for the header row: (its index, its values, its columns)."""
    for index, row in enumerate(rows):
        if index >= HEADER_SCAN_ROWS:
            break
        if columns := _header_columns(row):
            return index, row, columns
    return None


def looks_like_kahoot(data: bytes) -> bool:
    """Whether an .xlsx is Kahoot's template: its header row sits below title rows or uses Kahoot's wording
    ("Question - max 120 characters"…). Never raises."""
    try:
        workbook = load_xlsx(data)
    except ImportFileError:
        return False
    try:
        if not workbook.worksheets:
            return False
        found = _find_header(sheet_rows(workbook.worksheets[0]))
    except Exception:  # a damaged workbook is simply not Kahoot's; parsing it will say what is wrong
        return False
    finally:
        workbook.close()
    if found is None:
        return False
    index, header, columns = found
    labels = " | ".join(norm(cell_text(value)) for value in header)
    return "correct" in columns and (index > 0 or any(words in labels for words in KAHOOT_WORDING))


def parse_kahoot(data: bytes) -> list[ParsedQuestion]:
    """Read Kahoot's quiz template: one correct answer → single, several → multiple, True/False → true/false."""
    workbook = load_xlsx(data)
    try:
        rows = sheet_rows(workbook.worksheets[0]) if workbook.worksheets else iter(())
        found = _find_header(rows)
        if found is None:
            raise ImportFileError(
                _("This is not Kahoot's quiz template: no header row with “Question” and “Answer 1” columns.")
            )
        header_index, _header, columns = found
        answer_numbers = sorted(int(key.removeprefix("answer_")) for key in columns if key.startswith("answer_"))
        questions = []
        for line, values in enumerate(rows, start=header_index + 2):  # Excel row numbers

            def get(key: str, values=values) -> str:
                index = columns.get(key)
                return cell_text(values[index]) if index is not None and index < len(values) else ""

            answers = [(n, get(f"answer_{n}")) for n in answer_numbers]
            if not get("question") and not get("correct") and not any(text for _n, text in answers):
                continue  # an empty (perhaps pre-numbered) row of the template
            if len(questions) >= MAX_QUESTIONS:
                raise too_many_questions()
            questions.append(validate_question(_question(row_label(line), get, answers)))
    finally:
        workbook.close()
    if not questions:
        raise no_questions()
    return questions


def _question(where: str, get, answers: list[tuple[int, str]]) -> ParsedQuestion:
    question = ParsedQuestion(where=where, type=SINGLE, text=get("question"))
    present = [(n, text) for n, text in answers if text]
    correct_raw = get("correct")
    positions, bad = choice_positions(correct_raw)
    if bad:
        question.errors.append(
            _("cannot read the correct answer “%(value)s” (answer numbers such as 2 or 1,3)") % {"value": correct_raw}
        )
    texts = dict(present)
    if empty := sorted(n for n in set(positions) if n not in texts):
        question.errors.append(_("answer %(n)d is marked correct but is empty") % {"n": empty[0]})
    words = [TRUE_FALSE_WORDS.get(norm(text)) for _n, text in present]
    if len(present) == 2 and set(words) == {True, False}:
        question.type = TRUE_FALSE
        true_n = present[words.index(True)][0]
        false_n = present[words.index(False)][0]
        question.choices = [
            ParsedChoice(TRUE_LABEL, true_n in positions),
            ParsedChoice(FALSE_LABEL, false_n in positions),
        ]
    else:
        question.type = MULTIPLE if len({n for n in positions if n in texts}) > 1 else SINGLE
        question.choices = [ParsedChoice(text, n in positions) for n, text in present]
    time_limit = get("time_limit")
    if time_limit:
        match = re.fullmatch(r"(\d+)(?:\.0+)? ?(?:s|sec|secs|seconds|giây)?", norm(time_limit))
        if match:
            question.time_limit_s = int(match.group(1))
        else:
            question.errors.append(
                _("the time limit must be a number of seconds, not “%(value)s”") % {"value": time_limit}
            )
    return question
