"""Live sessions: scoring and nickname rules, services, and consumers through WebsocketCommunicator."""

import asyncio
import datetime as dt
import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from conftest import served_status
from leaderboard import ranking
from leaderboard.models import Score
from live import scoring, services
from live.hub import get_hub
from live.models import LiveAnswer, LivePlayer, LiveSession
from live.nicknames import clean_nickname, nickname_problem
from live.protocol import PLAYER_MESSAGES, ProtocolError, parse
from live.routing import websocket_urlpatterns
from quizzes.image_links import signed_image_url

# --- Pure rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("correct", "elapsed", "mode", "points"),
    [
        (True, 0, "speed", 1000),
        (True, 10_000, "speed", 750),
        (True, 20_000, "speed", 500),
        (True, 99_000, "speed", 500),
        (False, 0, "speed", 0),
        (True, 15_000, "flat", 1000),
        (False, 1, "flat", 0),
    ],
)
def test_answer_points_follow_the_design_formula(correct, elapsed, mode, points):
    assert scoring.answer_points(correct=correct, elapsed_ms=elapsed, limit_ms=20_000, mode=mode) == points


@pytest.mark.parametrize(("streak", "bonus"), [(1, 0), (2, 100), (3, 200), (6, 500), (12, 500)])
def test_streak_bonus_grows_then_caps(streak, bonus):
    assert scoring.streak_bonus(streak) == bonus


def test_competition_ranks_share_and_skip():
    assert ranking.competition_ranks([900, 700, 700, 500]) == [1, 2, 2, 4]  # the one ranking module


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("An", None),
        ("  Bình   Minh ", None),
        ("Lớn", None),
        ("Điểm 10", None),
        ("", "nickname_empty"),
        ("x" * 21, "nickname_too_long"),
        ("vcl", "nickname_rude"),
        ("Đ.M", "nickname_rude"),
        ("F u c k", "nickname_rude"),
        ("óc chó", "nickname_rude"),
        ("sh1t", "nickname_rude"),
    ],
)
def test_nickname_rules(raw, problem):
    assert nickname_problem(clean_nickname(raw)) == problem


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"type": 3}',
        '{"type": "hack"}',
        '{"type": "answer", "question": "1", "response": 2}',
        '{"type": "join"}',
        '{"type": "join", "nickname": "a", "extra": 1}',
        "x" * 5000,
        '{"type": "answer", "question": true, "response": 1}',
    ],
)
def test_malformed_messages_are_refused_with_a_code(text):
    with pytest.raises(ProtocolError):
        parse(text, PLAYER_MESSAGES)


# --- Consumers ----------------------------------------------------------------------------------

app = URLRouter(websocket_urlpatterns)


@pytest.fixture
def live_session(quiz, organiser):
    return services.session_create(quiz=quiz, host=organiser, question_time_s=20)


async def connect(path, user=None):
    communicator = WebsocketCommunicator(app, path, headers=[(b"origin", b"http://testserver")])
    communicator.scope["user"] = user or AnonymousUser()
    connected, _sub = await communicator.connect()
    return communicator, connected


async def send(communicator, message):
    await communicator.send_to(text_data=json.dumps(message))


async def receive(communicator, kind=None, timeout=3):
    """The next message (of type ``kind`` if given, skipping others)."""
    while True:
        message = json.loads(await communicator.receive_from(timeout=timeout))
        if kind is None or message["type"] == kind:
            return message


async def hub_state(session_id):
    """The question state the hub loads just after the phones got the question."""
    for _ in range(200):
        state = get_hub().states.get(session_id)
        if state is not None:
            return state
        await asyncio.sleep(0.01)
    raise AssertionError("the hub never loaded the question's state")


async def join(session, nickname, user=None):
    player, connected = await connect(f"/ws/live/{session.pin}/", user)
    assert connected
    await send(player, {"type": "join", "nickname": nickname})
    return player, await receive(player, "joined")


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_full_game_join_answer_reveal_leaderboard_end(live_session, organiser):
    host, connected = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    assert connected
    state = await receive(host, "state")
    assert state["pin"] == live_session.pin and state["state"] == "lobby"
    alice, joined = await join(live_session, "Alice")
    bob, _ = await join(live_session, "Bob")
    assert joined["token"] and joined["state"] == "lobby"

    await send(host, {"type": "start"})
    question = await receive(alice, "question")
    await receive(bob, "question")
    assert question["index"] == 0 and "correct" not in json.dumps(question)
    key = await database_sync_to_async(lambda: services.question_state(LiveSession.objects.get(pk=live_session.pk)))()
    right = _right_response(key)
    wrong = _wrong_response(key)
    await send(alice, {"type": "answer", "question": 0, "response": right})
    ack = await receive(alice, "answer_received")
    assert ack["duplicate"] is False
    await send(alice, {"type": "answer", "question": 0, "response": wrong})
    assert (await receive(alice, "answer_received"))["duplicate"] is True, "the first answer stands"
    if wrong is not None:
        await send(bob, {"type": "answer", "question": 0, "response": wrong})
        await receive(bob, "answer_received")

    await send(host, {"type": "reveal"})
    reveal = await receive(host, "reveal")
    assert "results" not in reveal and reveal["answered"] >= 1
    mine = await receive(alice, "result")
    assert mine["right"] is True and 500 <= mine["points"] <= 1000 and mine["rank"] == 1
    theirs = await receive(bob, "result")
    assert theirs["right"] is False and theirs["points"] == 0 and theirs["rank"] == 2

    await send(host, {"type": "leaderboard"})
    board = await receive(alice, "leaderboard")
    assert [row["nickname"] for row in board["top"]] == ["Alice", "Bob"]

    await send(host, {"type": "end"})
    ended = await receive(alice, "ended")
    assert ended["rank"] == 1 and ended["podium"][0]["nickname"] == "Alice"
    for communicator in (host, alice, bob):
        await communicator.disconnect()


def _right_response(state):
    """The right answer to the open question, as a phone sends it (choice tokens)."""
    return _as_sent(state, _right_ids(state.key))


def _wrong_response(state):
    return _as_sent(state, _wrong_ids(state.key))


def _as_sent(state, response):
    return state.tokens.response_to_client(state.key.type, response)


def _right_ids(key):
    if key.type in ("single", "true_false"):
        return next(iter(key.correct_ids))
    if key.type == "multiple":
        return sorted(key.correct_ids)
    if key.type == "short_text":
        return key.accepted_texts[0]
    return list(key.choice_ids)


def _wrong_ids(key):
    if key.type in ("single", "true_false"):
        return next(i for i in key.choice_ids if i not in key.correct_ids)
    if key.type == "multiple":
        return [next(i for i in key.choice_ids if i not in key.correct_ids)]
    if key.type == "short_text":
        return "sai hoàn toàn"
    return list(reversed(key.choice_ids))


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_only_the_host_may_command(live_session, organiser, other_organiser, participant):
    for outsider in (None, participant, other_organiser):
        _communicator, connected = await connect(f"/ws/live/host/{live_session.pk}/", outsider)
        assert connected is False
    player, _ = await join(live_session, "Mallory")
    await send(player, {"type": "start"})
    error = await receive(player, "error")
    assert error["code"] == "unknown_type"
    assert (await LiveSession.objects.aget(pk=live_session.pk)).state == "lobby"
    await player.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_malformed_json_gets_an_error_and_changes_nothing(live_session):
    player, _connected = await connect(f"/ws/live/{live_session.pin}/")
    await player.send_to(text_data="{not json")
    assert (await receive(player, "error"))["code"] == "bad_json"
    await send(player, {"type": "answer", "question": 0, "response": 1})
    assert (await receive(player, "error"))["code"] == "not_joined"
    assert await LivePlayer.objects.acount() == 0
    await player.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_rude_and_duplicate_nicknames_are_refused(live_session):
    first, _ = await join(live_session, "Hoa")
    second, _connected = await connect(f"/ws/live/{live_session.pin}/")
    await send(second, {"type": "join", "nickname": "hoa"})
    assert (await receive(second, "error"))["code"] == "nickname_taken"
    await send(second, {"type": "join", "nickname": "vcl"})
    error = await receive(second, "error")
    assert error["code"] == "nickname_rude" and error["message"]
    assert await LivePlayer.objects.acount() == 1
    await first.disconnect()
    await second.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_late_answers_are_refused(live_session, organiser):
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    player, _ = await join(live_session, "Chậm")
    await send(host, {"type": "start"})
    await receive(player, "question")
    # The buzzer went a second ago (plus more than the grace): the process's cached deadline says so.
    (await hub_state(live_session.pk)).deadline = timezone.now() - dt.timedelta(seconds=1)
    await send(player, {"type": "answer", "question": 0, "response": 1})
    assert (await receive(player, "error"))["code"] == "too_late"
    assert await LiveAnswer.objects.acount() == 0
    await host.disconnect()
    await player.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_reconnect_with_the_token_keeps_the_score(live_session, organiser):
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    player, joined = await join(live_session, "Quay lại")
    await LivePlayer.objects.filter(pk=joined["player"]).aupdate(score=1234)
    await player.disconnect()
    again, _ = await connect(f"/ws/live/{live_session.pin}/")
    await send(again, {"type": "rejoin", "token": joined["token"]})
    back = await receive(again, "joined")
    assert back["player"] == joined["player"] and back["score"] == 1234
    await send(again, {"type": "rejoin", "token": joined["token"]})
    assert (await receive(again, "error"))["code"] == "already_joined"
    forged, _ = await connect(f"/ws/live/{live_session.pin}/")
    await send(forged, {"type": "rejoin", "token": joined["token"] + "x"})
    assert (await receive(forged, "error"))["code"] == "bad_token"
    for communicator in (host, again, forged):
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_kicked_player_is_removed_and_cannot_come_back_under_that_name(live_session, organiser):
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    player, joined = await join(live_session, "Phá rối")
    await send(host, {"type": "kick", "player": joined["player"]})
    assert (await receive(player, "error"))["code"] == "kicked"
    again, _ = await connect(f"/ws/live/{live_session.pin}/")
    await send(again, {"type": "join", "nickname": "Phá rối"})
    assert (await receive(again, "error"))["code"] == "nickname_blocked"
    await send(again, {"type": "rejoin", "token": joined["token"]})
    assert (await receive(again, "error"))["code"] == "kicked"
    await host.disconnect()
    await again.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_locked_lobby_refuses_newcomers(live_session, organiser):
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    await send(host, {"type": "lock", "locked": True})
    await receive(host, "locked")
    player, _ = await connect(f"/ws/live/{live_session.pin}/")
    await send(player, {"type": "join", "nickname": "Muộn"})
    assert (await receive(player, "error"))["code"] == "locked"
    await host.disconnect()
    await player.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_host_reconnecting_mid_question_gets_the_state_back(live_session, organiser):
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    await send(host, {"type": "start"})
    await receive(host, "question")
    await host.disconnect()
    again, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    state = await receive(again, "state")
    assert state["state"] == "question" and state["question"]["index"] == 0
    await again.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_question_reveals_itself_when_everyone_answered(live_session, organiser):
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    player, _ = await join(live_session, "Nhanh")
    await send(host, {"type": "start"})
    await receive(player, "question")
    key = await database_sync_to_async(lambda: services.question_state(LiveSession.objects.get(pk=live_session.pk)))()
    await send(player, {"type": "answer", "question": 0, "response": _right_response(key)})
    await receive(player, "answer_received")
    result = await receive(player, "result", timeout=3)
    assert result["right"] is True
    await host.disconnect()
    await player.disconnect()


@pytest.mark.django_db(transaction=True)
def test_live_round_scores_reach_the_leaderboard(make_event, quiz, organiser, player):
    event = make_event(rounds=0)
    from contests import services as contest_services

    rnd = contest_services.round_create(
        event=event,
        fields={"title": "Trực tiếp", "kind": "live", "opens_at": event.opens_at, "closes_at": event.closes_at},
    )
    session = services.session_create(quiz=quiz, host=organiser, rnd=rnd)
    member = services.player_join(session=session, nickname="Có tài khoản", user=player)
    services.player_join(session=session, nickname="Khách")
    LivePlayer.objects.filter(pk=member.pk).update(score=2500)
    services.session_end(session_id=session.pk)
    score = Score.objects.get(round=rnd)
    assert score.user == player and score.points == 2500


@pytest.mark.django_db(transaction=True)
def test_guests_are_refused_when_the_session_needs_accounts(quiz, organiser, player):
    session = services.session_create(quiz=quiz, host=organiser, allow_guests=False)
    with pytest.raises(ProtocolError) as refused:
        services.player_join(session=session, nickname="Khách")
    assert refused.value.code == "login_required"
    assert services.player_join(session=session, nickname="Thành viên", user=player).user == player


@pytest.mark.django_db(transaction=True)
def test_illegal_host_commands_change_nothing(live_session):
    for command in (
        services.question_next,
        services.question_reveal,
        services.leaderboard_show,
        services.question_resume,
        services.question_pause,
    ):
        with pytest.raises(ProtocolError):
            command(session_id=live_session.pk)
    assert LiveSession.objects.get(pk=live_session.pk).state == "lobby"


@pytest.mark.django_db(transaction=True)
def test_pause_keeps_speed_points_fair(live_session):
    start = timezone.now()
    services.session_start(session_id=live_session.pk, now=start)
    services.question_pause(session_id=live_session.pk, now=start + dt.timedelta(seconds=5))
    event = services.question_resume(session_id=live_session.pk, now=start + dt.timedelta(seconds=65))
    session = LiveSession.objects.get(pk=live_session.pk)
    assert event["remaining_ms"] == 15_000
    assert session.question_started_at == start + dt.timedelta(seconds=60), "the pause does not count as thinking time"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_answers_still_accepted_after_the_process_lost_its_question_state(live_session, organiser):
    """As after a daphne restart mid-question: the next answer reloads the open question from the database."""
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    player, _ = await join(live_session, "Khởi động lại")
    await send(host, {"type": "start"})
    await receive(player, "question")
    await hub_state(live_session.pk)
    state = get_hub().states.pop(live_session.pk)
    await send(player, {"type": "answer", "question": 0, "response": _right_response(state)})
    assert (await receive(player, "answer_received"))["duplicate"] is False
    await host.disconnect()
    await player.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_errors_speak_the_language_the_player_chose(live_session):
    communicator = WebsocketCommunicator(
        app, f"/ws/live/{live_session.pin}/", headers=[(b"origin", b"http://testserver")]
    )
    communicator.scope["user"] = AnonymousUser()
    communicator.scope["cookies"] = {"django_language": "en"}
    await communicator.connect()
    await send(communicator, {"type": "answer", "question": 0, "response": 1})
    assert (await receive(communicator, "error"))["message"] == "Join the game first."
    await communicator.disconnect()
    vietnamese, _ = await connect(f"/ws/live/{live_session.pin}/")
    await send(vietnamese, {"type": "answer", "question": 0, "response": 1})
    from django.utils import translation

    with translation.override("vi"):
        expected = translation.gettext("Join the game first.")
    assert expected != "Join the game first.", "the catalog translates protocol errors"
    assert (await receive(vietnamese, "error"))["message"] == expected
    await vietnamese.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_screens_reconnecting_after_a_reveal_get_it_back(live_session, organiser):
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    player, joined = await join(live_session, "Tải lại")
    await send(host, {"type": "start"})
    await receive(player, "question")
    await send(host, {"type": "reveal"})
    await receive(player, "result")
    await host.disconnect()
    await player.disconnect()
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    snapshot = await receive(host, "state")
    assert snapshot["state"] == "reveal" and snapshot["reveal"]["index"] == 0 and "correct" in snapshot["reveal"]
    phone, _ = await connect(f"/ws/live/{live_session.pin}/")
    await send(phone, {"type": "rejoin", "token": joined["token"]})
    back = await receive(phone, "joined")
    assert back["reveal"]["index"] == 0 and back["rank"] == 1
    await send(host, {"type": "end"})
    await receive(host, "ended")
    await host.disconnect()
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    assert (await receive(host, "state"))["podium"][0]["nickname"] == "Tải lại"
    await host.disconnect()
    await phone.disconnect()


@pytest.mark.django_db(transaction=True)
def test_question_images_reach_guests_through_a_signed_url(client, quiz, organiser, settings):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(out, format="PNG")
    question = quiz.items.first().question
    question.image.save("q.png", SimpleUploadedFile("q.png", out.getvalue()), save=True)
    quiz.bank.is_public = False
    quiz.bank.save()
    assert client.get(f"/questions/{question.pk}/image/").status_code == 404
    assert client.get(signed_image_url(question)).status_code == served_status()
    assert client.get(f"/questions/{question.pk}/image/?t=forged").status_code == 404


@pytest.mark.django_db
def test_a_teacher_named_by_the_organisation_hosts_a_game_but_manages_nothing_else(
    client, quiz, make_user, organisation, other_organisation
):
    from django.urls import reverse

    from contests import services as contest_services
    from contests.models import Membership

    teacher = make_user("giao.vien@example.vn")
    contest_services.membership_add(user=teacher, organisation=organisation, role=Membership.Role.TEACHER)
    client.force_login(teacher)
    response = client.post(
        reverse("live_session_create"),
        {"quiz": quiz.pk, "allow_guests": "on", "scoring": "speed", "streak_bonus": "on", "question_time_s": 20},
    )
    session = LiveSession.objects.get(host=teacher)
    assert response["Location"] == reverse("live_host", args=[session.pk])
    assert client.get(reverse("live_host", args=[session.pk])).status_code == 200
    assert client.get(reverse("organiser_dashboard")).status_code == 404, "a teacher is not an organiser"
    stranger = make_user("gv.khac@example.vn")
    contest_services.membership_add(user=stranger, organisation=other_organisation, role=Membership.Role.TEACHER)
    client.force_login(stranger)
    assert client.get(reverse("live_host", args=[session.pk])).status_code == 404
    client.post(reverse("live_session_create"), {"quiz": quiz.pk, "scoring": "speed", "question_time_s": 20})
    assert not LiveSession.objects.filter(host=stranger).exists(), "another organisation's quiz is not offered"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_guessing_pins_over_the_socket_is_stopped_like_on_the_join_page(live_session, monkeypatch):
    """Wrong PINs tried through /ws/live/<pin>/ count per address; past the limit even the right PIN is
    refused (4429) before any lookup, so the socket is no oracle for running games."""
    monkeypatch.setattr(services, "WRONG_PINS", 3)
    wrong = "0" * 6 if live_session.pin != "0" * 6 else "1" * 6
    for _ in range(3):
        guess, connected = await connect(f"/ws/live/{wrong}/")
        assert connected
        assert (await receive(guess))["code"] == "ended"
        assert (await guess.receive_output(timeout=3))["code"] == 4404
    blocked, _ = await connect(f"/ws/live/{live_session.pin}/")
    refusal = await receive(blocked)
    assert refusal["code"] == "pin_guessing" and "PIN" in refusal["message"]
    assert (await blocked.receive_output(timeout=3))["code"] == 4429
    assert await LivePlayer.objects.filter(session=live_session).acount() == 0


@pytest.mark.asyncio
async def test_a_question_state_load_overtaken_by_an_event_is_done_again(monkeypatch):
    """A phone's answer may load the open question while the hub delivers a reveal or the next question:
    that load is stale and must not be installed (answers would be checked against the wrong question)."""
    from live.hub import Hub

    hub = Hub()
    loads = []

    async def load(session_id, into=None):
        loads.append(session_id)
        if len(loads) == 1:
            hub.generations[session_id] = hub.generations.get(session_id, 0) + 1  # an event arrived meanwhile
            return "stale"
        return "fresh"

    monkeypatch.setattr(services, "question_state_from_event", load)
    assert await hub.question_state(7) == "fresh"
    assert hub.states[7] == "fresh" and len(loads) == 2
    assert await hub.question_state(7) == "fresh" and len(loads) == 2  # loaded once, then kept


@pytest.mark.asyncio
async def test_answers_arriving_before_the_question_state_is_loaded_share_one_load(monkeypatch):
    """Hundreds of answers can arrive while a question is still being sent: they wait for one load."""
    from live.hub import Hub

    hub, loads = Hub(), []

    async def load(session_id, into=None):
        loads.append(session_id)
        await asyncio.sleep(0.05)
        return "state"

    monkeypatch.setattr(services, "question_state_from_event", load)
    assert await asyncio.gather(*(hub.question_state(7) for _ in range(50))) == ["state"] * 50
    assert loads == [7] and not hub.loading


def test_autobahn_builds_no_debug_log_arguments_while_its_debug_logging_is_off():
    """Each frame sent styled three strings for a debug line nobody reads (``sendData``): swapped out."""
    from autobahn.twisted import websocket as twisted_websocket
    from autobahn.websocket import protocol

    from live import transport

    assert transport.quiet_autobahn_debug_arguments()
    assert protocol.hlval(42) == 42 and protocol.hltype(print) is print and twisted_websocket.hlval("x") == "x"
    assert "not formatted" in protocol.pformat({"a": 1})
