import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from leaderboard import results, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_event(make_event, make_user, complete_profile, now):
    event = make_event(state="open", rounds=1)
    rnd = event.rounds.get()
    for index, (region, category, points) in enumerate(
        [("TN-DT-01", "pupil", 9), ("TN-PL-01", "citizen", 6), ("TN-DT-02", "pupil", 7)]
    ):
        user = make_user(
            f"s{index}@example.vn",
            profile={
                **complete_profile(f"+8491200050{index}", region=region, category=category),
                "full_name": f"Người {index} Đặng",
            },
        )
        services.score_record(rnd=rnd, user=user, points=Decimal(points), max_points=Decimal(10), submitted_at=now)
    return event


def test_report_workbook_matches_the_board(client, organiser, scored_event):
    client.force_login(organiser)
    response = client.get(reverse("event_report_xlsx", args=[scored_event.pk]))
    workbook = load_workbook(io.BytesIO(response.content))
    results_sheet = workbook.worksheets[0]
    rows = list(results_sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[6]) for r in rows] == [
        (1, "Người 0 Đặng", 9),
        (2, "Người 2 Đặng", 7),
        (3, "Người 1 Đặng", 6),
    ]
    by_region = dict(workbook.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert by_region == {"Huyện Đại Từ": 2, "Huyện Phú Lương": 1}
    assert len(workbook.sheetnames) == 5


def test_csv_export_opens_in_excel_with_vietnamese(client, organiser, scored_event):
    client.force_login(organiser)
    body = client.get(reverse("event_results_csv", args=[scored_event.pk])).content.decode("utf-8")
    assert body.startswith("\ufeff") and "Người 0 Đặng" in body


@pytest.mark.parametrize("role", ["anonymous", "participant", "other_organiser"])
def test_exports_are_for_the_events_organisers_only(client, request, scored_event, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for name in ("event_report_xlsx", "event_results_csv"):
        assert client.get(reverse(name, args=[scored_event.pk])).status_code in (302, 404)


def test_statistics_page_shows_counts_beside_the_bars(client, scored_event):
    response = client.get(reverse("event_statistics", args=[scored_event.slug]))
    charts = dict(response.context["charts"])
    assert response.status_code == 200
    region_chart = next(bars for title, bars in charts.items() if bars and bars[0]["label"] == "Huyện Đại Từ")
    assert region_chart[0] == {"label": "Huyện Đại Từ", "value": 2, "percent": 100.0}


def test_public_api_lists_events_boards_results_and_verifies_certificates(client, scored_event, organiser):
    events = client.get(reverse("api_events")).json()["events"]
    assert scored_event.slug in [e["slug"] for e in events]
    detail = client.get(reverse("api_event", args=[scored_event.slug]))
    assert detail["Access-Control-Allow-Origin"] == "*"
    board_url = detail.json()["rounds"][0]["board"]
    board = client.get(board_url).json()
    assert [row["rank"] for row in board["rows"]] == [1, 2, 3]
    assert "email" not in str(board) and "@" not in str(board), "public names only"
    from contests import services as contest_services

    contest_services.event_transition(event=scored_event, to_state="closed", by=organiser)
    result_set = results.results_publish(event=scored_event, by=organiser, prizes={"first": 1})
    results.certificates_issue(result_set=result_set)
    published = client.get(reverse("api_event_results", args=[scored_event.slug])).json()
    assert published["rows"][0]["prize"] == "first"
    code = result_set.rows.get(rank=1).certificates.get().code
    assert client.get(reverse("api_certificate", args=[code])).json()["valid"] is True
    assert client.get(reverse("api_certificate", args=["NOPE"])).status_code == 404
    spec = client.get(reverse("api_openapi")).json()
    assert spec["openapi"].startswith("3.") and "/api/v1/rounds/{round_id}/board/" in spec["paths"]


def test_draft_events_are_not_in_the_api(client, make_event):
    draft = make_event(rounds=1)
    assert client.get(reverse("api_event", args=[draft.slug])).status_code == 404
    assert client.get(reverse("api_round_board", args=[draft.rounds.get().pk])).status_code == 404


def test_embedded_board_may_be_framed(client, scored_event):
    response = client.get(reverse("embed_board", args=[scored_event.rounds.get().pk]))
    assert response.status_code == 200 and "X-Frame-Options" not in response
    assert len(response.context["top"]) == 3
    assert client.get(reverse("round_board", args=[scored_event.rounds.get().pk]))["X-Frame-Options"] == "DENY"
