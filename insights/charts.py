"""Charts as inline SVG built in Python: no JavaScript, no style attribute (the Content-Security-Policy
forbids inline styles; SVG presentation attributes such as ``fill`` and ``width`` are not styles).

Each chart is an accessible image (``role="img"`` named by its ``<title>`` and described by its ``<desc>``)
and carries the rows of the data table shown beside it, so that a screen reader, a keyboard user or an
organiser who wants the exact figures reads the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
BAR_ROW = 26
LABEL_WIDTH = 220
VALUE_WIDTH = 60
COLUMN_HEIGHT = 200
AXIS_BAND = 40
BAR_FILL = "#1565c0"
MARK_FILL = "#c62828"
TEXT_FILL = "#212121"
MAX_LABEL_CHARS = 32
MIN_COLUMNS = 12


@dataclass(frozen=True)
class Chart:
    """What a template needs: the picture and the table behind it."""

    key: str  # unique on the page: ids of the title, the description and the table
    title: str
    desc: str
    svg: SafeString
    headers: tuple[str, str]
    rows: list[tuple[str, int | float | str]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.rows


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _frame(key: str, title: str, desc: str, height: int, body: list[str]) -> SafeString:
    head = format_html(
        '<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}"'
        ' role="img" aria-labelledby="{}-title {}-desc" focusable="false">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        WIDTH,
        height,
        WIDTH,
        height,
        key,
        key,
        key,
        title,
        key,
        desc,
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every part is escaped by format_html


def bar_chart(*, key: str, title: str, desc: str, headers: tuple[str, str], rows: list[tuple[str, int]]) -> Chart:
    """Horizontal bars, one per row, longest first as given: regions, units, categories, judges."""
    top = max((value for _label, value in rows), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body = []
    for index, (label, value) in enumerate(rows):
        y = index * BAR_ROW
        length = round(span * value / top, 1)
        body.append(
            format_html(
                '<g><text x="{}" y="{}" text-anchor="end" font-size="13" fill="{}">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
                '<text x="{}" y="{}" font-size="13" fill="{}">{}</text></g>',
                LABEL_WIDTH - 8,
                y + 17,
                TEXT_FILL,
                _short(label),
                LABEL_WIDTH,
                y + 4,
                length,
                BAR_ROW - 8,
                BAR_FILL,
                LABEL_WIDTH + length + 6,
                y + 17,
                TEXT_FILL,
                value,
            )
        )
    height = max(len(rows), 1) * BAR_ROW
    return Chart(key, title, desc, _frame(key, title, desc, height, body), headers, list(rows))


def column_chart(
    *,
    key: str,
    title: str,
    desc: str,
    headers: tuple[str, str],
    rows: list[tuple[str, int]],
    marks: dict[int, str] | None = None,
) -> Chart:
    """Vertical columns in the order given: participation over time, a score histogram.

    ``marks`` draws a red vertical line before the column of each index (a deadline), labelled for the eye;
    the data table and the chart's description say the same in words."""
    marks = marks or {}
    top = max((value for _label, value in rows), default=0) or 1
    count = max(len(rows), 1)
    step = WIDTH / max(count, MIN_COLUMNS)  # a few columns stay narrow: one column is not a wall of colour
    every = max(1, round(count / 12))  # at most about 12 axis labels, never overlapping
    body = []
    for index, (label, value) in enumerate(rows):
        x = round(index * step, 1)
        height = round(COLUMN_HEIGHT * value / top, 1)
        body.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                x + 1,
                COLUMN_HEIGHT - height,
                max(round(step - 2, 1), 1),
                height,
                BAR_FILL,
                label,
                value,
            )
        )
        if index % every == 0:
            body.append(
                format_html(
                    '<text x="{}" y="{}" font-size="11" fill="{}">{}</text>',
                    x + 1,
                    COLUMN_HEIGHT + 16,
                    TEXT_FILL,
                    _short(label),
                )
            )
    for index, label in marks.items():
        x = round(index * step, 1)
        body.append(
            format_html(
                '<line x1="{}" y1="0" x2="{}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="4 3"></line>'
                '<text x="{}" y="{}" font-size="11" fill="{}">{}</text>',
                x,
                x,
                COLUMN_HEIGHT,
                MARK_FILL,
                x + 3,
                COLUMN_HEIGHT + 32,
                MARK_FILL,
                _short(label),
            )
        )
    body.append(
        format_html(
            '<text x="{}" y="12" text-anchor="end" font-size="11" fill="{}">{}</text>',
            WIDTH - 2,
            TEXT_FILL,
            top,
        )
    )
    return Chart(key, title, desc, _frame(key, title, desc, COLUMN_HEIGHT + AXIS_BAND, body), headers, list(rows))
