"""The "My data" download as files: JSON (every section, as collected) and XLSX (one sheet per section).
What people typed goes into cells as text, never as a formula (``contests.xlsx.spreadsheet_safe``)."""

from __future__ import annotations

import json
from io import BytesIO

from openpyxl import Workbook

from contests.xlsx import spreadsheet_safe


def as_json(data: dict[str, list[dict]]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()


def as_xlsx(data: dict[str, list[dict]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for section, rows in data.items():
        sheet = book.create_sheet(section[:31])
        columns = list(rows[0]) if rows else ["(none)"]
        sheet.append(columns)
        for row in rows:
            sheet.append([spreadsheet_safe(_cell(row.get(column))) for column in columns])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
