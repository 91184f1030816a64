"""The organisers' dashboard: figures grouped in SQL (counted queries), charts that are accessible images with
a table behind them, and only for the organisers of the event."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from contests import services as contest_services
from contests.models import Category
from insights import selectors
from insights.charts import bar_chart, column_chart
from insights.pictures import dashboard_charts
from submissions.models import Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(quiz_round, make_person, take_quiz, school, now):
    """Four participants: two communes of one district, one of another district, one without a region."""
    start = now - dt.timedelta(hours=3)
    people = [
        make_person(region="TN-TPTN-01", category=Category.PUPIL, organisation=school),
        make_person(region="TN-TPTN-02", category=Category.PUPIL, organisation=school),
        make_person(region="TN-DT-01", category=Category.TEACHER, organisation_name="Trường Tiểu học Đại Từ"),
        make_person(region="TN-TPTN-01", category=Category.CITIZEN),
    ]
    for index, person in enumerate(people):
        take_quiz(quiz_round, person, at=start + dt.timedelta(minutes=50 * index), right=index < 2)
    return people


def test_figures_are_grouped_by_region_unit_category_and_score(quiz_round, crowd):
    board = selectors.dashboard_for(rounds=[quiz_round.round])
    assert board.participants == 4
    assert dict(board.regions) == {"Thành phố Thái Nguyên": 3, "Huyện Đại Từ": 1}
    labels = {str(Category.PUPIL.label): 2, str(Category.TEACHER.label): 1, str(Category.CITIZEN.label): 1}
    assert dict(board.categories) == labels
    units = dict(board.units)
    assert units["Trường THCS Nha Trang"] == 2 and units["Trường Tiểu học Đại Từ"] == 1
    assert units[str(selectors.NOT_STATED)] == 1
    ((rnd, bins),) = board.histograms
    assert rnd == quiz_round.round
    assert bins[-1] == 2 and bins[0] == 2 and sum(bins) == 4  # full marks in the top tenth, nothing in the first
    assert sum(board.activity_by_hour.values()) == 4


def test_region_chart_drills_down_to_the_communes_of_one_district(quiz_round, crowd, regions):
    district = regions["TN-TPTN"]
    board = selectors.dashboard_for(rounds=[quiz_round.round], district_id=district.pk)
    assert board.region_level == "commune"
    assert dict(board.regions) == {regions["TN-TPTN-01"].name: 2, regions["TN-TPTN-02"].name: 1}


def test_a_dashboard_costs_the_same_queries_for_one_round_or_many(
    make_quiz_round, quiz_round, crowd, make_person, take_quiz, now, django_assert_num_queries
):
    rnd = quiz_round.round
    with django_assert_num_queries(10):
        selectors.dashboard_for(rounds=[rnd])
    event = rnd.event
    second = contest_services.round_create(
        event=event,
        fields={"title": "Vòng 2", "kind": "reading", "opens_at": rnd.opens_at, "closes_at": rnd.closes_at},
    )
    more = make_person(region="TN-DT-01")
    take_quiz(quiz_round, more, at=now - dt.timedelta(minutes=30))
    with django_assert_num_queries(10):
        board = selectors.dashboard_for(rounds=[rnd, second])
    assert board.participants == 5


def test_charts_are_named_images_with_their_data_and_no_style():
    chart = bar_chart(key="k", title="Tiêu đề <b>", desc="Mô tả", headers=("A", "B"), rows=[("x<y", 3), ("z", 1)])
    svg = str(chart.svg)
    assert 'role="img"' in svg and 'aria-labelledby="k-title k-desc"' in svg
    assert '<title id="k-title">Tiêu đề &lt;b&gt;</title>' in svg and "x&lt;y" in svg
    assert "style" not in svg  # the CSP forbids inline styles
    assert svg.count("<rect") == 2
    rows = [("1", 0), ("2", 4)]
    columns = column_chart(key="c", title="T", desc="D", headers=("A", "B"), rows=rows, marks={1: "hạn"})
    assert "<line" in str(columns.svg) and "style" not in str(columns.svg)


def test_activity_is_drawn_hour_by_hour_with_the_deadline_marked(quiz_round, crowd, now):
    board = selectors.dashboard_for(rounds=[quiz_round.round])
    board.deadlines = [(now - dt.timedelta(hours=1), "Vòng 1")]
    charts = {chart.key: chart for chart in dashboard_charts(board, now=now)}
    hours = charts["activity-hours"]
    assert sum(value for _label, value in hours.rows) == 4
    assert "<line" in str(hours.svg)
    assert {"regions", "units", "categories", f"scores-{quiz_round.round_id}"} <= set(charts)


def test_a_long_event_is_drawn_per_day_and_the_last_48_hours(quiz_round, now):
    hour = now.replace(minute=0)  # the database hands hours truncated
    board = selectors.Dashboard(
        activity_by_hour={hour - dt.timedelta(days=6): 2, hour - dt.timedelta(hours=2): 5},
        deadlines=[(now - dt.timedelta(hours=1), "Vòng 1")],
    )
    charts = {chart.key: chart for chart in dashboard_charts(board, now=now)}
    assert sum(value for _label, value in charts["activity-days"].rows) == 7
    assert len(charts["activity-hours"].rows) == 48 and sum(v for _l, v in charts["activity-hours"].rows) == 5


# --- Views -------------------------------------------------------------------------------------------------


def test_the_organiser_sees_the_event_and_round_dashboards(client, organiser, quiz_round, crowd):
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("insights_event", args=[quiz_round.round.event_id])).content.decode()
    assert page.count('role="img"') >= 4
    assert "<details>" in page and "Participants by district" in page and "Thành phố Thái Nguyên" in page
    assert re.search(r'<th scope="row">Pupil</th><td>2</td>', page)
    page = client.get(reverse("insights_round", args=[quiz_round.round_id])).content.decode()
    assert "Score distribution" in page and 'id="participant-count"' in page
    districts = client.get(reverse("insights_round", args=[quiz_round.round_id]), {"district": "x"})
    assert districts.status_code == 200  # a malformed district shows every district


def test_the_dashboard_speaks_vietnamese_by_default(client, organiser, quiz_round, crowd):
    client.force_login(organiser)
    page = client.get(reverse("insights_event", args=[quiz_round.round.event_id])).content.decode()
    assert 'lang="vi"' in page


@pytest.mark.parametrize("who", ["anonymous", "participant", "other_organiser", "judge"])
def test_nobody_else_sees_a_dashboard(client, who, request, quiz_round):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in (
        reverse("insights_event", args=[quiz_round.round.event_id]),
        reverse("insights_round", args=[quiz_round.round_id]),
    ):
        reply = client.get(url)
        assert reply.status_code == (302 if who == "anonymous" else 404)


def test_a_site_admin_sees_every_dashboard(client, admin_user, quiz_round):
    client.force_login(admin_user)
    assert client.get(reverse("insights_event", args=[quiz_round.round.event_id])).status_code == 200


def test_reading_entries_by_moderation_state_and_judging_progress(
    judging_round, make_entry, make_judge, make_person, organiser, marks_for
):
    from judging import services as judging
    from submissions import services as submissions

    reading_round = judging_round()
    entries = [make_entry(reading_round, make_person(), title=f"Bài {n}", process=False) for n in range(3)]
    submissions.entries_moderate(entries=[entries[0]], action="reject", by=organiser, reason="Không rõ tiếng")
    first, second = make_judge(reading_round, "giam-khao-1@example.vn"), make_judge(reading_round, "gk2@example.vn")
    done = judging.assignment_add(entry=entries[1], judge=first, by=organiser)
    judging.assignment_add(entry=entries[2], judge=first, by=organiser)
    judging.assignment_add(entry=entries[2], judge=second, by=organiser)
    judging.score_save(assignment=done, marks=marks_for(reading_round, 8, 6), submit=True)
    board = selectors.dashboard_for(rounds=[reading_round.round])
    ((rnd, states),) = board.moderation
    counts = dict(states)
    assert counts[Entry.Moderation.REJECTED.label] == 1 and counts[Entry.Moderation.PENDING.label] == 2
    assert board.judges == [("gk2@example.vn", 0, 1), ("giam-khao-1@example.vn", 1, 2)]  # least advanced first
    assert board.participants == 3
    keys = {chart.key for chart in dashboard_charts(board, now=timezone.now())}
    assert {f"moderation-{rnd.pk}", "judges"} <= keys
