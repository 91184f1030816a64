"""Unit rosters from Excel: the list of an organisation's units (schools, offices) with group and headcount.

Parsing is pure (no database writes) so that the organiser sees a row-by-row preview before anything
is imported. Column headers are matched in Vietnamese or English, in any order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook

from .xlsx import UnreadableWorkbook, open_workbook, sheet_rows

MAX_ROWS = 5000

COLUMNS = {
    "code": ("code", "mã", "mã đơn vị"),
    "name": ("name", "tên", "tên đơn vị"),
    "group": ("group", "khối"),
    "headcount": ("headcount", "sĩ số", "số người", "quân số"),
    "region_code": ("region code", "mã địa bàn", "mã vùng"),
}
TEMPLATE_HEADERS = ["Mã đơn vị", "Tên đơn vị", "Khối", "Sĩ số", "Mã địa bàn"]


@dataclass
class RosterRow:
    line: int
    code: str
    name: str
    group: str
    headcount: int | None
    region_code: str
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("line", "code", "name", "group", "headcount", "region_code", "errors")}


class RosterFileError(Exception):
    """The file as a whole cannot be read as a roster."""


def _header_map(header: tuple) -> dict[str, int]:
    found = {}
    for index, title in enumerate(header):
        label = str(title or "").strip().lower()
        for key, names in COLUMNS.items():
            if label in names:
                found[key] = index
    missing = [key for key in ("code", "name", "headcount") if key not in found]
    if missing:
        raise RosterFileError(
            _("The first row must name the columns; missing: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    return found


def _cell(values: tuple, index: int | None) -> str:
    if index is None or index >= len(values) or values[index] is None:
        return ""
    value = values[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_roster(data: bytes, *, known_region_codes: set[str]) -> list[RosterRow]:
    """Read an .xlsx roster into rows, each with its own errors (line numbers as Excel shows them)."""
    try:
        workbook = open_workbook(data)
        return _parse_sheet(workbook, known_region_codes)
    except UnreadableWorkbook as exc:  # a zip bomb, or a damaged file (which may fail only while it is read)
        raise RosterFileError(str(exc)) from exc


def _parse_sheet(workbook, known_region_codes: set[str]) -> list[RosterRow]:
    if not workbook.worksheets:
        raise RosterFileError(_("The workbook is empty."))
    lines = sheet_rows(workbook.worksheets[0])
    header = next(lines, None)
    if header is None:
        raise RosterFileError(_("The workbook is empty."))
    columns = _header_map(header)
    rows, seen_codes = [], set()
    for line, values in enumerate(lines, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise RosterFileError(_("A roster can hold at most %(n)d units.") % {"n": MAX_ROWS})
        rows.append(_parse_row(line, values, columns, known_region_codes, seen_codes))
    if not rows:
        raise RosterFileError(_("The roster has no units."))
    return rows


def _parse_row(line, values, columns, known_region_codes, seen_codes) -> RosterRow:
    row = RosterRow(
        line=line,
        code=_cell(values, columns["code"])[:40],
        name=_cell(values, columns["name"])[:200],
        group=_cell(values, columns.get("group"))[:120],
        headcount=None,
        region_code=_cell(values, columns.get("region_code")),
    )
    if not row.code:
        row.errors.append(_("no unit code"))
    elif row.code in seen_codes:
        row.errors.append(_("unit code %(code)s appears twice") % {"code": row.code})
    seen_codes.add(row.code)
    if not row.name:
        row.errors.append(_("no unit name"))
    raw_headcount = _cell(values, columns["headcount"])
    try:
        row.headcount = int(raw_headcount)
        if row.headcount < 0:
            raise ValueError
    except ValueError:
        row.errors.append(_("headcount must be a whole number ≥ 0, not “%(value)s”") % {"value": raw_headcount})
    if row.region_code and row.region_code not in known_region_codes:
        row.errors.append(_("unknown region code %(code)s") % {"code": row.region_code})
    return row


def roster_template() -> bytes:
    """An .xlsx with the expected headers and two example rows, for organisers to fill in."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Đơn vị"
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(["THPT-DT", "Trường THPT Đại Từ", "Trung học phổ thông", 1200, "TN-DT"])
    sheet.append(["THCS-PL", "Trường THCS Phú Lương", "Trung học cơ sở", 650, "TN-PL"])
    for column, width in zip("ABCDE", (14, 40, 26, 10, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
