"""Who may use each organiser view of reading rounds: anonymous / participant / judge / organiser of another
organisation / organiser of this organisation / site admin, for reads and for writes.

Outsiders get 404 (the same answer as for an id that does not exist) so that ids reveal nothing.
"""

import pytest
from django.urls import reverse

from submissions.models import Entry, EntryVersion, ReadingRound
from submissions.services import processing

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "participant", "judge", "other_organiser", "organiser", "admin_user"]
ALLOWED = {"organiser", "admin_user"}


@pytest.fixture
def actors(request):
    return {role: None if role == "anonymous" else request.getfixturevalue(role) for role in ROLES}


@pytest.fixture
def target(reading_round, reader, make_entry, monkeypatch):
    monkeypatch.setattr(processing, "MAX_ATTEMPTS", 1)
    monkeypatch.setattr(processing, "transcode", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("down")))
    entry = make_entry(reading_round, reader)
    monkeypatch.undo()
    return {"round": reading_round.round, "entry": entry, "version": entry.versions.get()}


def _client_as(client, user):
    if user is not None:
        client.force_login(user)
    return client


GET_URLS = [
    ("organiser_reading_round", lambda t: {"round_id": t["round"].pk}),
    ("organiser_reading_entries", lambda t: {"round_id": t["round"].pk}),
    ("organiser_reading_originals", lambda t: {"round_id": t["round"].pk}),
    ("organiser_reading_entry", lambda t: {"entry_id": t["entry"].pk}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "kwargs"), GET_URLS, ids=[n for n, _ in GET_URLS])
def test_organiser_pages_answer_only_the_event_s_organisers(client, actors, target, role, name, kwargs):
    response = _client_as(client, actors[role]).get(reverse(name, kwargs=kwargs(target)))
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in ALLOWED:
        assert response.status_code == 200
    else:
        assert response.status_code == 404


def _writes(t):
    """Every state-changing organiser request, with a payload that would succeed for an allowed user."""
    rnd, entry, version = t["round"], t["entry"], t["version"]
    settings = {
        "media": "audio",
        "min_duration_s": "1",
        "max_duration_s": "7",
        "max_size_mb": "3",
        "min_video_lines": "0",
        "entries_per_participant": "3",
        "entrants": "individual",
        "vote_weight": "0",
        "vote_totals": "at_end",
    }
    return [
        (reverse("organiser_reading_round", args=[rnd.pk]), settings),
        (
            reverse("organiser_reading_entries", args=[rnd.pk]),
            {"action": "reject", "entries": [entry.pk], "reason": "x"},
        ),
        (reverse("organiser_reading_requeue", args=[version.pk]), {}),
    ]


def _snapshot(t):
    settings = ReadingRound.objects.get(round=t["round"])
    entry = Entry.objects.get(pk=t["entry"].pk)
    version = EntryVersion.objects.get(pk=t["version"].pk)
    return (settings.max_duration_s, entry.moderation, version.state)


@pytest.mark.parametrize("role", ["anonymous", "participant", "judge", "other_organiser"])
def test_outsiders_cannot_change_anything(client, actors, target, role):
    c = _client_as(client, actors[role])
    before = _snapshot(target)
    for url, data in _writes(target):
        response = c.post(url, data)
        assert response.status_code == (302 if role == "anonymous" else 404), url
    assert _snapshot(target) == before == (5, "pending", "failed")


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_organisers_and_admins_can_make_each_change(client, actors, target, role):
    c = _client_as(client, actors[role])
    for url, data in _writes(target):
        response = c.post(url, data)
        assert response.status_code == 302, (url, response.content[:2000])
    assert _snapshot(target) == (7, "rejected", "received")


def test_participant_pages_of_an_entry_are_the_owner_s_only(client, actors, target, reader):
    entry = target["entry"]
    for role in ROLES:
        client.logout()
        response = _client_as(client, actors[role]).get(reverse("reading_entry", args=[entry.pk]))
        assert response.status_code in (302, 404), role
    client.force_login(reader)
    assert client.get(reverse("reading_entry", args=[entry.pk])).status_code == 200
