"""The dashboard's figures turned into charts (titles, descriptions and table headers in the user's
language). Separate from the selectors so that the queries stay plain reads and the words stay here."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .charts import Chart, bar_chart, column_chart
from .selectors import HISTOGRAM_BINS, Dashboard, daily_series, hourly_series

HOURLY_UP_TO = 72  # hours of activity drawn hour by hour; a longer span is drawn per day, plus the last 48 hours


def dashboard_charts(board: Dashboard, *, now: dt.datetime) -> list[Chart]:
    charts = _activity_charts(board, now=now)
    if board.regions:
        if board.region_level == "district":
            title, header = _("Participants by district"), _("District")
        else:
            title, header = _("Participants by commune"), _("Commune")
        charts.append(_bars("regions", title, header, board.regions))
    if board.units:
        charts.append(_bars("units", _("Participants by school or unit"), _("School or unit"), board.units))
    if board.categories:
        charts.append(_bars("categories", _("Participants by category"), _("Category"), board.categories))
    bands = _("Number of participants per score band, as a percentage of the maximum.")
    for rnd, bins in board.histograms:
        rows = [(_tenth_label(index), count) for index, count in enumerate(bins)]
        charts.append(
            column_chart(
                key=f"scores-{rnd.pk}",
                title=_("Score distribution: %(round)s") % {"round": rnd.title},
                desc=_describe_columns(rows, bands),
                headers=(_("Score (percentage of the maximum)"), _("Participants")),
                rows=rows,
            )
        )
    for rnd, states in board.moderation:
        charts.append(
            _bars(
                f"moderation-{rnd.pk}",
                _("Reading entries by moderation state: %(round)s") % {"round": rnd.title},
                _("State"),
                [(str(label), count) for label, count in states],
            )
        )
    if board.judges:
        rows = [(name, f"{scored} / {assigned}") for name, scored, assigned in board.judges]
        chart = bar_chart(
            key="judges",
            title=_("Judging progress per judge"),
            desc=_("Entries scored out of the entries assigned to each judge, the least advanced first."),
            headers=(_("Judge"), _("Scored / assigned")),
            rows=[(name, scored) for name, scored, _assigned in board.judges],
        )
        charts.append(Chart(chart.key, chart.title, chart.desc, chart.svg, chart.headers, rows))
    return charts


def _bars(key: str, title: str, header: str, rows: list[tuple[str, int]]) -> Chart:
    return bar_chart(key=key, title=title, desc=_describe_bars(rows), headers=(header, _("Participants")), rows=rows)


def _describe_bars(rows: list[tuple[str, int]]) -> str:
    if not rows:
        return _("No data yet.")
    label, value = max(rows, key=lambda pair: pair[1])
    return _("%(count)s bars; the largest is %(label)s with %(value)s.") % {
        "count": len(rows),
        "label": label,
        "value": value,
    }


def _describe_columns(rows: list[tuple[str, int]], what: str) -> str:
    if not rows:
        return what
    label, value = max(rows, key=lambda pair: pair[1])
    return f"{what} " + _("The highest column is %(label)s with %(value)s.") % {"label": label, "value": value}


def _tenth_label(index: int) -> str:
    low, high = index * 100 // HISTOGRAM_BINS, (index + 1) * 100 // HISTOGRAM_BINS
    return f"{low}–{high}%"


def _activity_charts(board: Dashboard, *, now: dt.datetime) -> list[Chart]:
    """Hour by hour when the activity spans up to three days; else per day, plus the 48 hours up to the last
    deadline that has passed (or the last active hour), where the rush is."""
    activity = board.activity_by_hour
    if not activity:
        return []
    zone = timezone.get_current_timezone()
    first, last = min(activity), max(activity)
    span_hours = int((last - first).total_seconds() // 3600) + 1
    what = _("Attempts started, reading entries created and live players joined.")
    headers = (_("Hour"), _("Participations"))
    if span_hours <= HOURLY_UP_TO:
        series = hourly_series(activity, hours=span_hours)
        return [_hourly_chart("activity-hours", _("Participation per hour"), what, headers, series, board, zone)]
    days = daily_series(activity)
    rows = [(formats.date_format(day, "SHORT_DATE_FORMAT"), count) for day, count in days]
    daily = column_chart(
        key="activity-days",
        title=_("Participation per day"),
        desc=_describe_columns(rows, what),
        headers=(_("Day"), _("Participations")),
        rows=rows,
    )
    passed = [moment for moment, _title in board.deadlines if moment <= now]
    end = max(passed) if passed else last
    series = hourly_series(activity, last=end, hours=48)
    title = _("Participation per hour, the 48 hours up to %(moment)s") % {
        "moment": formats.date_format(end.astimezone(zone), "SHORT_DATETIME_FORMAT")
    }
    return [daily, _hourly_chart("activity-hours", title, what, headers, series, board, zone)]


def _hourly_chart(key, title, what, headers, series, board: Dashboard, zone) -> Chart:
    rows = [(formats.date_format(moment.astimezone(zone), "H\\h d/m"), count) for moment, count in series]
    marks = {}
    if series:
        start = series[0][0]
        for moment, round_title in board.deadlines:
            index = int((moment - start).total_seconds() // 3600)
            if 0 <= index < len(series):
                marks[index] = _("Deadline: %(round)s") % {"round": round_title}
    desc = _describe_columns(rows, what)
    if marks:
        desc += " " + _("Dashed red lines mark the rounds' deadlines.")
    return column_chart(key=key, title=title, desc=desc, headers=headers, rows=rows, marks=marks)
