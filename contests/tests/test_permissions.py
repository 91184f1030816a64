"""Who may use each organiser view: anonymous / participant / judge / organiser of another organisation /
organiser of this organisation / site admin, on every organiser URL, for reads and for writes.

Outsiders get 404 (the same answer as for an id that does not exist) so that ids reveal nothing.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from contests.models import Event, Organisation

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "participant", "judge", "other_organiser", "organiser", "admin_user"]
ALLOWED = {"organiser", "admin_user"}


@pytest.fixture
def actors(request):
    return {role: None if role == "anonymous" else request.getfixturevalue(role) for role in ROLES}


@pytest.fixture
def target(make_event):
    event = make_event(rounds=2)
    return {"event": event, "round": event.rounds.first(), "org": event.organisation}


def _client_as(client, user):
    if user is not None:
        client.force_login(user)
    return client


GET_URLS = [
    ("organiser_event", lambda t: {"event_id": t["event"].pk}),
    ("organiser_event_edit", lambda t: {"event_id": t["event"].pk}),
    ("organiser_round_create", lambda t: {"event_id": t["event"].pk}),
    ("organiser_round_edit", lambda t: {"round_id": t["round"].pk}),
    ("organiser_organisation", lambda t: {"slug": t["org"].slug}),
    ("organiser_roster_import", lambda t: {"slug": t["org"].slug}),
    ("organiser_roster_template", lambda t: {"slug": t["org"].slug}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "kwargs"), GET_URLS, ids=[n for n, _ in GET_URLS])
def test_organiser_pages_of_an_event_answer_only_its_organisers(client, actors, target, role, name, kwargs):
    response = _client_as(client, actors[role]).get(reverse(name, kwargs=kwargs(target)))
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in ALLOWED:
        assert response.status_code == 200
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_and_event_creation_need_an_organiser_role(client, actors, organisation, role):
    c = _client_as(client, actors[role])
    for url in (reverse("organiser_dashboard"), reverse("organiser_event_create")):
        response = c.get(url)
        if role == "anonymous":
            assert response.status_code == 302
        elif role in ALLOWED | {"other_organiser"}:
            assert response.status_code == 200
        else:
            assert response.status_code == 404


def _local(moment) -> str:
    """A datetime as a datetime-local input sends it: wall-clock time in Asia/Ho_Chi_Minh."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _writes(t):
    """Every state-changing organiser request, with a payload that would succeed for an allowed user."""
    event, rnd = t["event"], t["round"]
    window = {"opens_at": _local(event.opens_at), "closes_at": _local(event.closes_at)}
    return [
        (
            reverse("organiser_event_edit", args=[event.pk]),
            {"title": "Hijacked", "kind": "contest", "visibility": "public", **window},
        ),
        (reverse("organiser_event_transition", args=[event.pk]), {"to_state": "open"}),
        (
            reverse("organiser_round_create", args=[event.pk]),
            {"title": "Injected", "kind": "quiz", "weight": "1", **window},
        ),
        (
            reverse("organiser_round_edit", args=[rnd.pk]),
            {"title": "Hijacked", "kind": "quiz", "weight": "1", **window},
        ),
        (reverse("organiser_round_move", args=[rnd.pk]), {"direction": "down"}),
        (reverse("organiser_round_delete", args=[rnd.pk]), {}),
        (reverse("organiser_organisation", args=[t["org"].slug]), {"name": "Hijacked", "group": "", "headcount": "1"}),
    ]


def _snapshot(t):
    event = Event.objects.get(pk=t["event"].pk)
    return (
        event.title,
        event.state,
        list(event.rounds.order_by("position").values_list("pk", "title", "position")),
        Organisation.objects.get(pk=t["org"].pk).name,
    )


@pytest.mark.parametrize("role", ["anonymous", "participant", "judge", "other_organiser"])
def test_outsiders_cannot_change_anything(client, actors, target, role):
    c = _client_as(client, actors[role])
    before = _snapshot(target)
    for url, data in _writes(target):
        response = c.post(url, data)
        assert response.status_code in (302, 404), url
        if role != "anonymous":
            assert response.status_code == 404, url
    assert _snapshot(target) == before


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_organisers_and_admins_can_make_each_change(client, actors, target, role):
    c = _client_as(client, actors[role])
    before = _snapshot(target)
    for url, data in _writes(target):
        response = c.post(url, data)
        assert response.status_code == 302, (url, response.content[:2000])
    after = _snapshot(target)
    assert after[0] == "Hijacked" and after[1] == "open" and after[3] == "Hijacked"
    assert after != before


def test_organiser_of_another_organisation_cannot_create_events_for_this_one(
    client, other_organiser, organisation, now
):
    client.force_login(other_organiser)
    response = client.post(
        reverse("organiser_event_create"),
        {
            "organisation": organisation.pk,
            "title": "Foreign",
            "kind": "contest",
            "visibility": "public",
            "opens_at": _local(now),
            "closes_at": _local(now.replace(year=now.year + 1)),
        },
    )
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not Event.objects.filter(title="Foreign").exists()


def test_dashboard_lists_only_the_organisers_own_events(
    client, organiser, other_organiser, make_event, other_organisation
):
    mine = make_event(title="Mine")
    theirs = make_event(title="Theirs", org=other_organisation)
    client.force_login(organiser)
    body = client.get(reverse("organiser_dashboard")).content.decode()
    assert mine.title in body and theirs.title not in body
