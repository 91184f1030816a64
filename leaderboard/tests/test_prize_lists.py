"""Prizes by category, group (khối), region or unit: separate prize lists ranked by the same chain, each with
the common prize counts or counts of its own; the snapshot and the certificates carry the list's name."""

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from contests import services as contest_services
from contests.models import Category
from leaderboard import audit, results, services, standings
from leaderboard.forms import PrizesForm
from leaderboard.models import Certificate, ResultRow

pytestmark = pytest.mark.django_db

PUPILS = {"first": 2, "second": 0, "third": 0, "consolation": 1}


@pytest.fixture
def mixed_event(make_event, make_user, complete_profile, now):
    """Four pupils (10, 9, 8, 7 points) and two citizens (10, 6), event closed."""
    event = make_event(state="open", rounds=1)
    rnd = event.rounds.get()
    people = {}
    entries = [("p1", 10, Category.PUPIL), ("p2", 9, Category.PUPIL), ("p3", 8, Category.PUPIL)]
    entries += [("p4", 7, Category.PUPIL), ("c1", 10, Category.CITIZEN), ("c2", 6, Category.CITIZEN)]
    for index, (key, points, category) in enumerate(entries):
        profile = complete_profile(f"+8491300050{index}", category=category)
        user = make_user(f"{key}@example.vn", profile={**profile, "full_name": f"Người {key}"})
        services.score_record(rnd=rnd, user=user, points=Decimal(points), max_points=Decimal(10), submitted_at=now)
        people[key] = user
    contest_services.event_transition(event=event, to_state="closed", by=event.created_by)
    event.refresh_from_db()
    event.people = people
    return event


def test_a_list_with_counts_of_its_own():
    chain = ["points"]
    rows = [
        standings.Ranked(user_id=i, section=s, keys=(Decimal(p),))
        for i, s, p in [(1, "A", 3), (2, "A", 2), (3, "B", 3), (4, "B", 2)]
    ]
    ranked = standings.rank_and_award(rows, chain=chain, prizes={"first": 1}, section_prizes={"A": {"first": 2}})
    assert [(r.user_id, r.prize) for r in ranked] == [(1, "first"), (2, "first"), (3, "first"), (4, "")]


def _publish(event, organiser, **extra):
    with translation.override("en"):  # list names are stored as published, in the publisher's language
        return results.results_publish(
            event=event, by=organiser, prizes={"first": 1, "consolation": 1}, split_by="category", **extra
        )


def test_publishing_separate_lists_with_their_own_counts(mixed_event, organiser):
    result_set = _publish(mixed_event, organiser, section_prizes={"Pupil": PUPILS})
    p = mixed_event.people
    prizes = {(r.user_id): (r.section, r.rank, r.prize) for r in result_set.rows.all()}
    assert prizes[p["p1"].pk] == ("Pupil", 1, "first")
    assert prizes[p["p2"].pk] == ("Pupil", 2, "first")
    assert prizes[p["p3"].pk] == ("Pupil", 3, "consolation")
    assert prizes[p["p4"].pk] == ("Pupil", 4, "")
    assert prizes[p["c1"].pk] == ("Citizen", 1, "first")
    assert prizes[p["c2"].pk] == ("Citizen", 2, "consolation")
    assert result_set.section_prizes == {"Pupil": PUPILS}
    assert audit.snapshot_problems(result_set) == []


def test_a_correction_re_ranks_within_the_list_with_its_counts(mixed_event, organiser):
    result_set = _publish(mixed_event, organiser, section_prizes={"Pupil": PUPILS})
    p = mixed_event.people
    row = result_set.rows.get(user=p["p4"])
    results.result_correct(row=row, total=Decimal("9.50"), reason="Chấm lại câu 3", by=organiser)
    prizes = dict(ResultRow.objects.filter(result_set=result_set).values_list("user_id", "prize"))
    assert (prizes[p["p4"].pk], prizes[p["p3"].pk]) == ("first", "")
    assert prizes[p["p2"].pk] == "consolation"
    assert audit.snapshot_problems(result_set) == []


def test_counts_per_list_need_split_results(mixed_event, organiser):
    with pytest.raises(ValidationError):
        results.results_publish(event=mixed_event, by=organiser, prizes={"first": 1}, section_prizes={"Pupil": PUPILS})


def test_a_single_list_stays_the_default(mixed_event, organiser):
    result_set = results.results_publish(event=mixed_event, by=organiser, prizes={"first": 1})
    assert set(result_set.rows.values_list("section", flat=True)) == {""}
    # one list: the two 10s are not equal on the whole chain (registration), so one first prize
    assert list(result_set.rows.filter(prize="first").values_list("user", flat=True)) == [mixed_event.people["p1"].pk]


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("Học sinh: 1, 2, 3, 5", True),
        ("Quận 1: 1,1,1,1\n\nHọc sinh: 0, 0, 0, 2", True),
        ("Học sinh 1 2 3", False),
        (": 1, 2, 3, 4", False),
        ("A: 1, 2, x, 4", False),
    ],
)
def test_the_form_reads_counts_per_list(text, valid):
    form = PrizesForm({"first": 1, "second": 1, "third": 1, "consolation": 1, "split_by": "group", "list_prizes": text})
    assert form.is_valid() is valid
    if valid:
        assert all(
            set(counts) == {"first", "second", "third", "consolation"} for counts in form.section_prizes().values()
        )


def test_the_organiser_publishes_lists_from_the_form(client, mixed_event, organiser):
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    form = {
        "first": 1,
        "second": 0,
        "third": 0,
        "consolation": 0,
        "split_by": "category",
        "list_prizes": "Pupil: 3, 0, 0, 0",
    }
    client.post(reverse("organiser_results", args=[mixed_event.pk]), form)
    result_set = mixed_event.result_set
    assert result_set.section_prizes == {"Pupil": {"first": 3, "second": 0, "third": 0, "consolation": 0}}
    assert result_set.rows.filter(section="Pupil", prize="first").count() == 3


def test_certificates_carry_the_list_name(client, mixed_event, organiser):
    result_set = _publish(mixed_event, organiser)
    results.certificates_issue(result_set=result_set)
    winner = mixed_event.people["c1"]
    certificate = Certificate.objects.get(row__user=winner)
    client.force_login(winner)
    pdf = client.get(reverse("certificate_pdf", args=[certificate.code]))
    assert "Citizen" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    page = client.get(reverse("certificate_verify", args=[certificate.code])).content.decode()
    assert "certificate-list" in page and "Citizen" in page
    api = client.get(reverse("api_certificate", args=[certificate.code])).json()
    assert api["prize_list"] == "Citizen"
