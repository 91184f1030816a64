"""File downloads for organisers and participants (exports, templates, login cards): one place that says how a
file leaves the site, so that every export gets the same headers.

- ``Content-Disposition: attachment`` with the file name encoded as RFC 6266 asks (Django's
  ``content_disposition_header``), so a Vietnamese name survives every browser;
- CSV starts with a byte-order mark, because Excel — what organisers open it with — reads UTF-8 without one
  as Windows-1252 and garbles Vietnamese names;
- ``private=True`` adds ``Cache-Control: no-store`` for files with personal data or passwords.
Cell values are the caller's business: text typed by people goes through ``contests.xlsx.spreadsheet_safe``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"
JSON = "application/json"


def attachment(content: bytes | str, *, filename: str, content_type: str, private: bool = False) -> HttpResponse:
    """``content`` as a file the browser saves under ``filename``."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    if private:
        response["Cache-Control"] = "no-store"
    return response


def workbook_bytes(workbook: Any) -> bytes:
    """An openpyxl workbook as the bytes of an .xlsx file."""
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def workbook_attachment(workbook: Any, *, filename: str, private: bool = False) -> HttpResponse:
    """An openpyxl workbook as an .xlsx download."""
    return attachment(workbook_bytes(workbook), filename=filename, content_type=XLSX, private=private)


def csv_attachment(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, filename: str) -> HttpResponse:
    """A header row and rows as a CSV download Excel opens in UTF-8 (see the module's docstring)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return attachment(out.getvalue(), filename=filename, content_type=CSV)
