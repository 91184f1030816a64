"""A class list from Excel: full name, date of birth and class per pupil, one row each.

Pure (no database write): the teacher sees a row-by-row preview before any account exists. Headers are
matched in Vietnamese or English, in any order; the workbook is opened through ``contests.xlsx`` (zip-bomb
guard, damaged files turned into one readable error).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook

from ..xlsx import UnreadableWorkbook, open_workbook, sheet_rows

MAX_ROWS = 1000  # a whole school at once; a class is 30 to 50
MIN_AGE, MAX_AGE = 4, 25
COLUMNS = {
    "full_name": ("full name", "name", "họ và tên", "họ tên", "tên"),
    "date_of_birth": ("date of birth", "birth date", "ngày sinh", "ngày tháng năm sinh"),
    "class_name": ("class", "lớp"),
}
TEMPLATE_HEADERS = ["Họ và tên", "Ngày sinh", "Lớp"]
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


class ClassListError(Exception):
    """The file as a whole cannot be read as a class list."""


@dataclass
class PupilRow:
    line: int
    full_name: str
    date_of_birth: str  # ISO date, or what was typed when it is not a date (the row then has an error)
    class_name: str
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("line", "full_name", "date_of_birth", "class_name", "errors")}

    @property
    def born(self) -> dt.date:
        return dt.date.fromisoformat(self.date_of_birth)


def _header_map(header: tuple) -> dict[str, int]:
    found = {}
    for index, title in enumerate(header):
        label = " ".join(str(title or "").strip().lower().split())
        for key, names in COLUMNS.items():
            if label in names and key not in found:
                found[key] = index
    missing = [key for key in COLUMNS if key not in found]
    if missing:
        names = {"full_name": _("full name"), "date_of_birth": _("date of birth"), "class_name": _("class")}
        raise ClassListError(
            _("The first row must name the columns; missing: %(columns)s.")
            % {"columns": ", ".join(str(names[key]) for key in missing)}
        )
    return found


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _text(values: tuple, index: int) -> str:
    value = values[index] if index < len(values) else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value or "").split())


def parse_class_list(data: bytes, *, today: dt.date) -> list[PupilRow]:
    """Read an .xlsx class list into rows, each with its own errors (line numbers as Excel shows them)."""
    try:
        workbook = open_workbook(data)
        return _parse_sheet(workbook.worksheets[0], today)
    except UnreadableWorkbook as exc:
        raise ClassListError(str(exc)) from exc


def _parse_sheet(sheet, today: dt.date) -> list[PupilRow]:
    rows = sheet_rows(sheet)
    header = next(rows, None)
    if header is None:
        raise ClassListError(_("The workbook is empty."))
    columns = _header_map(header)
    pupils = []
    for line, values in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        if len(pupils) >= MAX_ROWS:
            raise ClassListError(_("A class list has at most %(n)d pupils: split the file.") % {"n": MAX_ROWS})
        pupils.append(_row(line, values, columns, today))
    if not pupils:
        raise ClassListError(_("The class list has no pupils."))
    _flag_duplicates(pupils)
    return pupils


def _row(line: int, values: tuple, columns: dict[str, int], today: dt.date) -> PupilRow:
    raw_date = values[columns["date_of_birth"]] if columns["date_of_birth"] < len(values) else None
    born = _date(raw_date)
    row = PupilRow(
        line=line,
        full_name=_text(values, columns["full_name"])[:120],
        date_of_birth=born.isoformat() if born else _text(values, columns["date_of_birth"]),
        class_name=_text(values, columns["class_name"])[:40],
    )
    if len(row.full_name.split()) < 2:
        row.errors.append(_("Give the pupil's full name (family and given name)."))
    if born is None:
        row.errors.append(_("The date of birth is not a date (write it as 31/12/2012)."))
    else:
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if not MIN_AGE <= age <= MAX_AGE:
            row.errors.append(_("A pupil born on this date would be %(age)d years old.") % {"age": age})
    if not row.class_name:
        row.errors.append(_("Give the pupil's class."))
    return row


def _flag_duplicates(pupils: list[PupilRow]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for row in pupils:
        key = (row.full_name.lower(), row.date_of_birth)
        if key in seen:
            row.errors.append(_("The same pupil is already on line %(line)d.") % {"line": seen[key]})
        else:
            seen[key] = row.line


def class_list_template() -> bytes:
    """An empty class list with its headers and one example row, for teachers to fill in."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách lớp"
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(["Nguyễn Văn An", "15/09/2013", "6A1"])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
