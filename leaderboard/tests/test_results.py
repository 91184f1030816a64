import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from contests import services as contest_services
from leaderboard import results, services
from leaderboard.models import Certificate, Correction, ResultRow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("ranks", "prizes", "expected"),
    [
        ([1, 2, 3, 4, 5], {"first": 1, "second": 1, "third": 1}, ["first", "second", "third", "", ""]),
        ([1, 1, 3, 4], {"first": 1, "second": 1}, ["first", "first", "second", ""]),
        (
            [1, 2, 2, 2, 5],
            {"first": 1, "second": 2, "consolation": 1},
            ["first", "second", "second", "second", "consolation"],
        ),
        ([1, 2], {}, ["", ""]),
    ],
)
def test_prizes_follow_ranks_and_ties_share_them(ranks, prizes, expected):
    assert results.assign_prizes(ranks, prizes) == expected


@pytest.fixture
def closed_event(make_event, make_user, complete_profile, now):
    event = make_event(state="open", rounds=1)
    rnd = event.rounds.get()
    people = []
    for index, (name, points) in enumerate([("Nguyễn Thị Ánh", 10), ("Trần Văn Bình", 8), ("Lê Đức Cường", 8)]):
        profile = {**complete_profile(f"+8491200040{index}"), "full_name": name}
        user = make_user(f"r{index}@example.vn", profile=profile)
        services.score_record(rnd=rnd, user=user, points=Decimal(points), max_points=Decimal(10), submitted_at=now)
        people.append(user)
    contest_services.event_transition(event=event, to_state="closed", by=event.created_by)
    event.refresh_from_db()
    event.people = people
    return event


def test_publishing_snapshots_ranks_and_is_idempotent(closed_event, organiser, now):
    first = results.results_publish(event=closed_event, by=organiser, prizes={"first": 1, "second": 1})
    closed_event.refresh_from_db()
    assert closed_event.state == "results_published"
    # equal totals, but not equal on the whole chain: the earlier registration wins the only second prize
    assert [(r.user, r.rank, r.prize) for r in first.rows.all()] == [
        (closed_event.people[0], 1, "first"),
        (closed_event.people[1], 2, "second"),
        (closed_event.people[2], 3, ""),
    ]
    # a score arriving afterwards is refused: published means final
    with pytest.raises(services.ResultsFinal):
        services.score_record(
            rnd=closed_event.rounds.get(),
            user=closed_event.people[2],
            points=Decimal(1),
            max_points=Decimal(10),
            submitted_at=now,
        )
    again = results.results_publish(event=closed_event, by=organiser, prizes={"first": 3})
    assert again.pk == first.pk
    assert first.rows.get(user=closed_event.people[2]).total == Decimal(8)


def test_an_open_event_cannot_publish(make_event, organiser):
    event = make_event(state="open")
    with pytest.raises(ValidationError):
        results.results_publish(event=event, by=organiser, prizes={})


def test_a_correction_is_logged_and_reranks(closed_event, organiser):
    result_set = results.results_publish(event=closed_event, by=organiser, prizes={"first": 1})
    row = result_set.rows.get(user=closed_event.people[2])
    results.result_correct(row=row, total=Decimal("10.5"), reason="Chấm lại câu 7", by=organiser)
    assert result_set.rows.get(user=closed_event.people[2]).rank == 1
    fields = list(Correction.objects.values_list("field", "old_value", "new_value"))
    assert ("total", "8.00", "10.5") in fields and ("rank", "3", "1") in fields
    with pytest.raises(ValidationError):
        results.result_correct(row=row, prize="first", reason="  ", by=organiser)


def test_certificate_pdf_prints_the_vietnamese_name_and_a_code_that_verifies(client, closed_event, organiser):
    result_set = results.results_publish(event=closed_event, by=organiser, prizes={"first": 1, "second": 2})
    assert results.certificates_issue(result_set=result_set) == 3
    assert results.certificates_issue(result_set=result_set) == 0, "idempotent"
    winner = Certificate.objects.get(row__user=closed_event.people[0])
    client.force_login(closed_event.people[0])
    response = client.get(reverse("certificate_pdf", args=[winner.code]))
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Nguyễn Thị Ánh" in text and winner.code in text
    verify = client.get(reverse("certificate_verify", args=[winner.code]))
    assert verify.status_code == 200 and "Nguyễn Thị Ánh" in verify.content.decode()
    assert client.get(reverse("certificate_verify", args=["NOTACODE00"])).status_code == 404


def test_only_the_owner_or_organisers_download_a_certificate(client, closed_event, organiser, other_organiser):
    result_set = results.results_publish(event=closed_event, by=organiser, prizes={"first": 1})
    results.certificates_issue(result_set=result_set)
    code = Certificate.objects.get().code
    client.force_login(closed_event.people[1])
    assert client.get(reverse("certificate_pdf", args=[code])).status_code == 404
    client.force_login(other_organiser)
    assert client.get(reverse("certificate_pdf", args=[code])).status_code == 404
    client.force_login(organiser)
    assert client.get(reverse("certificate_pdf", args=[code])).status_code == 200


def test_organiser_publishes_issues_and_downloads_the_zip(client, closed_event, organiser):
    client.force_login(organiser)
    url = reverse("organiser_results", args=[closed_event.pk])
    preview = client.get(url)
    assert len(preview.context["preview"]) == 3
    client.post(url, {"first": 1, "second": 1, "third": 0, "consolation": 0})
    assert ResultRow.objects.filter(result_set__event=closed_event).count() == 3
    client.post(reverse("certificates_issue", args=[closed_event.pk]), {"participation": "1"})
    archive = zipfile.ZipFile(io.BytesIO(client.get(reverse("certificates_zip", args=[closed_event.pk])).content))
    assert len(archive.namelist()) == 2 + 3  # prize certificates for the two winners + participation for all
    public = client.get(reverse("event_results", args=[closed_event.slug]))
    assert public.status_code == 200 and len(public.context["result_sets"][0]["rows"]) == 3


@pytest.mark.parametrize("role", ["anonymous", "participant", "other_organiser"])
def test_outsiders_cannot_publish_or_correct(client, request, closed_event, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    client.post(
        reverse("organiser_results", args=[closed_event.pk]), {"first": 1, "second": 0, "third": 0, "consolation": 0}
    )
    assert not ResultRow.objects.exists()
    assert client.get(reverse("certificates_zip", args=[closed_event.pk])).status_code in (302, 404)


def test_unit_rules_decide_who_qualifies_and_unit_prizes_are_published(client, closed_event, organiser):
    from contests.models import Organisation

    school = Organisation.objects.create(name="THCS A", slug="thcs-a", group="THCS", headcount=3)
    for user in closed_event.people:
        user.profile.organisation = school
        user.profile.save(update_fields=["organisation"])
    client.force_login(organiser)
    url = reverse("organiser_results", args=[closed_event.pk])
    assert client.get(url).context["unit_prizes"][0]["unit"] == "THCS A", "100% of 3 qualifies by default"
    client.post(
        url,
        {
            "unit_rules": "1",
            "small_limit": 2,
            "small_rate": 100,
            "medium_limit": 10,
            "medium_rate": 100,
            "large_rate": 100,
            "prizes_per_group": 1,
        },
    )
    school.headcount = 4
    school.save()
    assert client.get(url).context["unit_prizes"] == [], "3 of 4 is below the 100% the organiser asked"
    school.headcount = 3
    school.save()
    result_set = results.results_publish(event=closed_event, by=organiser, prizes={"first": 1})
    assert result_set.unit_prizes[0]["unit"] == "THCS A"
