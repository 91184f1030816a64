"""The item analysis as an Excel workbook. Question texts and answers were typed by people: every text
cell goes through ``spreadsheet_safe`` so that none runs as a formula when an organiser opens the file."""

from __future__ import annotations

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from contest_site.downloads import workbook_bytes
from contests.xlsx import spreadsheet_safe

from .selectors import ItemAnalysis


def flag_labels() -> dict[str, str]:
    return {
        "too_easy": _("Too easy"),
        "too_hard": _("Too hard"),
        "negative_discrimination": _("Negative discrimination"),
    }


def _rounded(value, digits=2):
    return None if value is None else round(value, digits)


def item_analysis_workbook(analysis: ItemAnalysis, *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Item analysis")[:31]
    sheet.append([spreadsheet_safe(title)])
    sheet["A1"].font = Font(bold=True)
    summary = analysis.summary
    sheet.append([_("Attempts analysed"), summary.attempts, _("Mean score"), _rounded(summary.mean)])
    sheet.append([_("Median score"), _rounded(summary.median), _("Standard deviation"), _rounded(summary.sd)])
    sheet.append([])
    headers = [
        _("No."),
        _("Question"),
        _("Type"),
        _("Attempts"),
        _("Facility index (%)"),
        _("Standard deviation"),
        _("Discrimination index"),
        _("Discriminative efficiency"),
        _("Most chosen wrong answer"),
        _("Times chosen"),
        _("Median time (s)"),
        _("Flags"),
    ]
    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    labels = flag_labels()
    for row in analysis.rows:
        stats = row.stats
        sheet.append(
            [
                row.number,
                spreadsheet_safe(row.question.text),
                str(row.question.get_type_display()),
                stats.attempts,
                _rounded(None if stats.facility is None else 100 * stats.facility),
                _rounded(stats.sd),
                _rounded(stats.discrimination),
                _rounded(stats.efficiency),
                spreadsheet_safe(row.wrong_answer),
                stats.wrong_count or None,
                _rounded(stats.median_seconds, 1),
                ", ".join(labels[flag] for flag in stats.flags),
            ]
        )
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["I"].width = 30
    return workbook_bytes(workbook)
