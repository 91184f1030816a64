"""Invite-only means invite-only on every URL (issue 13, "Doors closed"): every participant-facing page of a
round, an entry, a board, a live game or a forum round of an invite-only event answers 404 (like a missing
object) to whoever has not typed its code, and works once they have. Organisers, site admins and people who
already take part pass without the code."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse

from contests import services as contest_services
from contests.models import Event

pytestmark = pytest.mark.django_db


def _invite_only(event: Event) -> Event:
    return contest_services.event_update(event=event, fields={"visibility": Event.Visibility.INVITE})


@pytest.fixture
def door(make_quiz_round, make_reading_round, make_entry, make_forum, make_user, complete_profile, organiser, quiz):
    """One invite-only event of each kind with something in it; and a stranger who has no code."""
    from live import services as live_services
    from submissions import services as reading_services

    quiz_round = make_quiz_round()
    quiz_event = _invite_only(quiz_round.round.event)
    reading_round = make_reading_round()
    reading_event = _invite_only(reading_round.round.event)
    author = make_user("author@example.vn", profile=complete_profile("+84912000801"))
    entry = make_entry(reading_round, author)
    reading_services.entries_moderate(entries=[entry], action="approve", by=organiser)
    forum = _invite_only(make_forum(live_round=True))
    live_round = forum.rounds.get(kind="live")
    session = live_services.session_create(quiz=quiz, host=organiser, rnd=live_round)
    stranger = make_user("stranger@example.vn", profile=complete_profile("+84912000802"))
    return SimpleNamespace(
        quiz_round=quiz_round,
        quiz_event=quiz_event,
        reading_round=reading_round,
        reading_event=reading_event,
        entry=entry,
        forum=forum,
        live_round=live_round,
        session=session,
        stranger=stranger,
    )


# (URL name, how to build its arguments, which event's code opens it, method)
DOORS = [
    ("quiz_round", lambda d: [d.quiz_round.round_id], "quiz_event", "get"),
    ("attempt_start", lambda d: [d.quiz_round.round_id], "quiz_event", "post"),
    ("round_board", lambda d: [d.quiz_round.round_id], "quiz_event", "get"),
    ("event_board", lambda d: [d.quiz_event.slug], "quiz_event", "get"),
    ("unit_board", lambda d: [d.quiz_event.slug], "quiz_event", "get"),
    ("event_statistics", lambda d: [d.quiz_event.slug], "quiz_event", "get"),
    ("reading_round", lambda d: [d.reading_round.round_id], "reading_event", "get"),
    ("reading_entry_create", lambda d: [d.reading_round.round_id], "reading_event", "post"),
    ("reading_gallery", lambda d: [d.reading_round.round_id], "reading_event", "get"),
    ("reading_vote", lambda d: [d.entry.pk], "reading_event", "post"),
    ("reading_media", lambda d: [d.entry.current_id, "media"], "reading_event", "get"),
    ("live_round", lambda d: [d.live_round.pk], "forum", "get"),
    ("live_play", lambda d: [d.session.pin], "forum", "get"),
    ("forum_round", lambda d: [d.forum.rounds.get(kind="forum").pk], "forum", "get"),
    ("forum_topics", lambda d: [d.forum.slug], "forum", "get"),
]


def _visit(client, name, args, method):
    url = reverse(name, args=args)
    return client.post(url) if method == "post" else client.get(url)


@pytest.mark.parametrize(("name", "args", "event", "method"), DOORS, ids=[d[0] for d in DOORS])
def test_every_round_url_of_an_invite_only_event_is_closed_without_its_code(client, door, name, args, event, method):
    anonymous = _visit(client, name, args(door), method)
    assert anonymous.status_code == 404 or "/accounts/login/" in anonymous.get("Location", ""), "anonymous"
    client.force_login(door.stranger)
    assert _visit(client, name, args(door), method).status_code == 404, "signed in, no code"
    code = getattr(door, event).invite_code
    client.post(reverse("event_unlock", args=[getattr(door, event).slug]), {"code": code})
    assert _visit(client, name, args(door), method).status_code != 404, "open once the code is typed"


@pytest.mark.parametrize("who", ["organiser", "admin_user"])
@pytest.mark.parametrize(("name", "args", "event", "method"), DOORS, ids=[d[0] for d in DOORS])
def test_organisers_and_site_admins_pass_without_the_code(client, request, door, who, name, args, event, method):
    client.force_login(request.getfixturevalue(who))
    assert _visit(client, name, args(door), method).status_code != 404


def test_someone_who_takes_part_keeps_their_way_in_on_another_device(client, door):
    from quizzes.models import Attempt

    client.post(reverse("event_unlock", args=[door.quiz_event.slug]), {"code": door.quiz_event.invite_code})
    client.force_login(door.stranger)  # the code is in this browser's session
    assert client.post(reverse("attempt_start", args=[door.quiz_round.round_id])).status_code == 302
    assert Attempt.objects.filter(user=door.stranger).exists()
    phone = type(client)()  # a new browser: no code in its session
    phone.force_login(door.stranger)
    assert phone.get(reverse("quiz_round", args=[door.quiz_round.round_id])).status_code == 200


def test_the_entry_author_and_a_panel_judge_play_the_recording_without_the_code(client, door, make_judge):
    url = reverse("reading_media", args=[door.entry.current_id, "media"])
    client.force_login(door.entry.user)
    assert client.get(url).status_code == 200
    client.force_login(make_judge(door.reading_round, "panel@example.vn").user)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        lambda d: reverse("api_event", args=[d.quiz_event.slug]),
        lambda d: reverse("api_round_board", args=[d.quiz_round.round_id]),
        lambda d: reverse("embed_board", args=[d.quiz_round.round_id]),
    ],
    ids=["api_event", "api_round_board", "embed_board"],
)
def test_the_public_api_and_embed_never_show_an_invite_only_event(client, door, url):
    """They are cookie-less and cross-origin: no code can reach them, so invite-only events stay out."""
    client.post(reverse("event_unlock", args=[door.quiz_event.slug]), {"code": door.quiz_event.invite_code})
    assert client.get(url(door)).status_code == 404
    slugs = [event["slug"] for event in client.get(reverse("api_events")).json()["events"]]
    assert door.quiz_event.slug not in slugs


def test_a_public_event_stays_open_to_everyone(client, make_quiz_round):
    quiz_round = make_quiz_round()
    assert client.get(reverse("quiz_round", args=[quiz_round.round_id])).status_code == 200
    assert client.get(reverse("round_board", args=[quiz_round.round_id])).status_code == 200


# --- the sockets: a live game's phones and a board's pings ---------------------------------------------


async def _socket(path, user=None):
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator
    from django.contrib.auth.models import AnonymousUser

    from contest_site.routing import websocket_urlpatterns

    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user or AnonymousUser()
    connected, _sub = await communicator.connect()
    return communicator, connected


@pytest.fixture
def invite_game(make_forum, quiz, organiser):
    from live import services as live_services

    forum = _invite_only(make_forum(live_round=True))
    return live_services.session_create(quiz=quiz, host=organiser, rnd=forum.rounds.get(kind="live"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_live_game_of_an_invite_only_event_refuses_phones_without_the_code(invite_game, organiser):
    import json

    stranger, connected = await _socket(f"/ws/live/{invite_game.pin}/")
    assert connected
    assert json.loads(await stranger.receive_from(timeout=3))["code"] == "ended", "as if no game ran"
    assert (await stranger.receive_output(timeout=3))["code"] == 4404
    insider, connected = await _socket(f"/ws/live/{invite_game.pin}/", organiser)
    await insider.send_to(text_data=json.dumps({"type": "join", "nickname": "Ban To Chuc"}))
    assert json.loads(await insider.receive_from(timeout=3))["type"] == "joined"
    await insider.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_board_socket_of_an_invite_only_round_refuses_strangers(invite_game, organiser):
    _stranger, connected = await _socket(f"/ws/boards/{invite_game.round_id}/")
    assert not connected
    insider, connected = await _socket(f"/ws/boards/{invite_game.round_id}/", organiser)
    assert connected
    await insider.disconnect()


def test_the_event_page_shows_its_content_to_someone_taking_part_on_a_new_device(client, door):
    from leaderboard import services as board_services

    board_services.score_record(
        rnd=door.quiz_round.round, user=door.stranger, points=1, max_points=10, submitted_at=door.quiz_event.opens_at
    )
    client.force_login(door.stranger)
    assert client.get(door.quiz_event.get_absolute_url()).context["unlocked"] is True
    assert client.get(reverse("event_board", args=[door.quiz_event.slug])).status_code == 200
