"""Opening an uploaded .xlsx without trusting it, for every importer (unit rosters here, question banks in
``quizzes.importing``): a zip bomb is refused by the sizes its archive declares, and a damaged file ends as
one readable error instead of whatever openpyxl's zip and XML layers happen to raise.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from zipfile import BadZipFile, ZipFile

from django.utils.translation import gettext as _
from openpyxl import load_workbook

# A 5,000-question workbook unpacks to a few MB; a 5 MB upload of padding can unpack to gigabytes of XML,
# which openpyxl would parse for minutes (or, as shared strings, hold in memory).
MAX_UNPACKED_BYTES = 50 * 1024 * 1024


class UnreadableWorkbook(Exception):
    """The upload is no workbook we will read; the message says why, in the user's language."""


def open_workbook(data: bytes):
    """A read-only workbook with cached values (not formulas), or UnreadableWorkbook.

    Python's zipfile never inflates a member past the size the archive declares for it, so the declared
    total bounds what openpyxl may unpack. openpyxl lets its layers' errors through on a damaged file,
    whatever their class, hence the broad ``except`` around this third-party call only.
    """
    try:
        with ZipFile(BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UnreadableWorkbook(_("The file is not an Excel workbook (.xlsx).")) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableWorkbook(
            _("The workbook unpacks to more than %(n)d MB, far more than a spreadsheet of this kind needs.")
            % {"n": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )
    try:
        return load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # see the docstring
        raise UnreadableWorkbook(_("The file is not an Excel workbook (.xlsx).")) from exc


def sheet_rows(sheet) -> Iterator[tuple]:
    """The rows of a read-only sheet as value tuples. openpyxl parses them lazily, so a damaged sheet fails
    here, mid-iteration: that becomes UnreadableWorkbook."""
    rows = sheet.iter_rows(values_only=True)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # see open_workbook
            raise UnreadableWorkbook(
                _("The workbook is damaged and cannot be read: open it in Excel and save it again.")
            ) from exc
        yield row


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value):
    """A value for a cell of an exported XLSX or CSV. Text that a spreadsheet would run as a formula (a name
    or nickname typed as "=HYPERLINK(…)") gets a leading apostrophe, as OWASP advises for both; other values
    pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(value):
    """A cell value that Excel, LibreOffice and Google Sheets show as text, never run as a formula.

    Why: exports carry what participants typed (names, nicknames, e-mail addresses, answers); a value
    starting with ``=``, ``+``, ``-`` or ``@`` would be evaluated when an organiser opens the file (CSV/formula
    injection, OWASP). Such strings get a leading apostrophe; numbers, dates and other values pass unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
