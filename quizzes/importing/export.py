"""Questions out to our Excel template, so that ``parse_excel(export_workbook(questions))`` gives them back."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from contests.xlsx import spreadsheet_safe

from .base import MAX_CHOICES, ORDERING, SHORT_TEXT, TRUE_FALSE, ParsedQuestion
from .excel import (
    FALSE_LABEL,
    GUIDE,
    MAX_QUESTIONS,
    TEMPLATE_HEADERS,
    TEMPLATE_KEYS,
    TRUE_LABEL,
    TYPE_LABELS,
)

QUESTION_SHEET = "Câu hỏi"
GUIDE_SHEET = "Hướng dẫn"
WIDTHS = {"type": 16, "question": 60, "correct": 14, "topic": 22, "explanation": 40, "resource_url": 30}


def export_workbook(questions: list[ParsedQuestion]) -> bytes:
    """An .xlsx in our template layout: the "Câu hỏi" sheet (header row, then one row per question) and the
    "Hướng dẫn" sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = QUESTION_SHEET
    sheet.append(TEMPLATE_HEADERS)
    for line, question in enumerate(questions, start=2):
        for column, value in enumerate(_row(question), start=1):
            _write(sheet, line, column, value)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    sheet.freeze_panes = "C2"
    for index, key in enumerate(TEMPLATE_KEYS, start=1):
        column = sheet.column_dimensions[get_column_letter(index)]
        column.width = WIDTHS.get(key, 18 if key.startswith("choice_") else 12)
    # Typed into a text column, "1,3" stays "1,3" (Excel in Vietnamese would read it as the number 1.3).
    sheet.column_dimensions[get_column_letter(TEMPLATE_KEYS.index("correct") + 1)].number_format = "@"
    kinds = DataValidation(type="list", formula1='"{}"'.format(",".join(TYPE_LABELS.values())), allow_blank=True)
    kinds.add(f"A2:A{MAX_QUESTIONS + 1}")
    sheet.add_data_validation(kinds)

    guide = workbook.create_sheet(GUIDE_SHEET)
    guide.append(["Cột", "Cách điền"])
    for column, text in GUIDE:
        guide.append([column, text])
    guide["A1"].font = guide["B1"].font = Font(bold=True)
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 110
    for row in guide.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")

    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _row(question: ParsedQuestion) -> list:
    choices = question.choices[:MAX_CHOICES]
    texts = [choice.text for choice in choices]
    correct = ",".join(str(n) for n, choice in enumerate(choices, start=1) if choice.is_correct)
    if question.type in (SHORT_TEXT, ORDERING):
        correct = ""
    elif question.type == TRUE_FALSE and texts == [TRUE_LABEL, FALSE_LABEL] and correct in ("1", "2"):
        texts, correct = [], TRUE_LABEL if correct == "1" else FALSE_LABEL  # as the template shows it
    values = {
        "type": TYPE_LABELS.get(question.type, question.type),
        "question": question.text,
        **{f"choice_{n}": text for n, text in enumerate(texts, start=1)},
        "correct": correct,
        "topic": question.topic,
        "difficulty": question.difficulty,
        "explanation": question.explanation,
        "resource_url": question.resource_url,
        "resource_title": question.resource_title,
        "partial_credit": "có" if question.partial_credit else "",
        "ignore_diacritics": "có" if question.ignore_diacritics else "",
        "points": int(question.points) if float(question.points).is_integer() else question.points,
        "time_limit": question.time_limit_s,
    }
    return [values.get(key) for key in TEMPLATE_KEYS]


def _write(sheet, line: int, column: int, value) -> None:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value in (None, ""):
        return
    cell = sheet.cell(row=line, column=column, value=value)
    if isinstance(value, str) and spreadsheet_safe(value) != value:
        # Text a spreadsheet would run ("=HYPERLINK(…)", "@SUM(1)", "-x"): a text cell with Excel's quote
        # prefix, which stays text even when the organiser edits the cell. Not spreadsheet_safe's apostrophe,
        # which would come back as part of the question on re-import (this workbook is meant to round-trip).
        cell.data_type = "s"
        cell.quotePrefix = True
