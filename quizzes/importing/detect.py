"""Which importer reads an uploaded file: by its content first, by its extension only when the content leaves
the choice open."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import PurePath

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import ImportFileError, ParsedQuestion
from .excel import is_question_header, parse_csv, parse_excel
from .gift import parse_gift
from .kahoot import looks_like_kahoot, parse_kahoot
from .moodle_xml import parse_moodle_xml

FORMATS = {
    "excel": gettext_lazy("Excel (the platform's template)"),
    "kahoot": gettext_lazy("Kahoot! spreadsheet"),
    "csv": gettext_lazy("CSV (the platform's template)"),
    "gift": gettext_lazy("Moodle GIFT"),
    "moodle_xml": gettext_lazy("Moodle XML"),
}
EXTENSIONS = {".xlsx": "excel", ".xlsm": "excel", ".csv": "csv", ".gift": "gift", ".txt": "gift", ".xml": "moodle_xml"}
GIFT_HINT = re.compile(r"\{[^{}]*\}|^\s*::.+?::|^\s*\$CATEGORY:", re.MULTILINE | re.DOTALL)


def parse_questions(data: bytes, filename: str) -> tuple[str, list[ParsedQuestion]]:
    """Parse an uploaded question file; return the format's name (a key of ``FORMATS``) and its questions.

    Raises ImportFileError when the file is empty, undecodable or in no known format."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        if not _is_workbook(data):
            raise ImportFileError(_("The file is a zip archive but not an Excel workbook (.xlsx)."))
        if looks_like_kahoot(data):
            return "kahoot", parse_kahoot(data)
        return "excel", parse_excel(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("Old Excel files (.xls) are not supported: save the file as .xlsx."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The file is neither an Excel workbook nor UTF-8 text. Save text files (CSV, GIFT, XML) as UTF-8.")
        ) from exc
    head = text.lstrip()[:200].lower()
    if head.startswith(("<?xml", "<quiz")):
        return "moodle_xml", parse_moodle_xml(data)
    if _looks_like_csv(text):
        return "csv", parse_csv(data)
    if not head.startswith("<") and GIFT_HINT.search(text):
        return "gift", parse_gift(text)

    match EXTENSIONS.get(PurePath(filename or "").suffix.lower()):
        case "csv":
            return "csv", parse_csv(data)
        case "gift":
            return "gift", parse_gift(text)
        case "moodle_xml":
            return "moodle_xml", parse_moodle_xml(data)
        case "excel":
            raise ImportFileError(_("The file is not an Excel workbook (.xlsx)."))
    raise ImportFileError(
        _("The file format is not recognised. Upload %(formats)s.")
        % {"formats": ", ".join(str(label) for label in FORMATS.values())}
    )


def _is_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _looks_like_csv(text: str) -> bool:
    """Whether the first line is the header row of our template (a question column among several)."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first_line.count)
    if delimiter not in first_line:
        return False
    try:
        header = next(csv.reader([first_line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return False
    return is_question_header(header)
