"""A fuzz run of the live protocol against the real consumers (the site's WebSocket routes), as a hostile phone.

A joined player (and a stranger on the host's address) sends random JSON, wrong types, binary frames and
messages above the size limit. Each frame gets an error (or a pong), or the connection is closed; the game in
the database — players, answers, scores, state — is exactly as before, and the host and an honest player
still talk to the server afterwards.
"""

from __future__ import annotations

import itertools
import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from hypothesis import given, settings
from hypothesis import strategies as st

from contest_site import ratelimit
from contest_site.ratelimit import RateLimit
from contest_site.routing import websocket_urlpatterns
from leaderboard.models import Score
from live import services
from live.models import LiveAnswer, LivePlayer, LiveSession
from live.protocol import ERRORS, HOST_MESSAGES, MAX_MESSAGE_BYTES, PLAYER_MESSAGES
from quizzes.models import Choice

from .test_protocol import json_values, near_messages

app = URLRouter(websocket_urlpatterns)
ORIGIN = [(b"origin", b"http://testserver")]
NUMBERS = itertools.count()

# One frame as a hostile phone sends it: ("text", str) or ("bytes", bytes).
text_frames = st.one_of(
    st.text(max_size=200),
    json_values.map(json.dumps),
    near_messages().map(json.dumps),
    st.sampled_from(sorted({*PLAYER_MESSAGES, *HOST_MESSAGES})).map(lambda kind: json.dumps({"type": kind})),
    st.just(json.dumps({"type": "join", "nickname": "x" * MAX_MESSAGE_BYTES})),  # above the limit
    st.just("[" * 5000),
    st.text(max_size=80).map(lambda token: json.dumps({"type": "rejoin", "token": token})),
    st.just('{"type": "rejoin", "token": "a:\\ud800"}'),
    st.just('{"type": "answer", "question": 0, "response": "\\u0000"}'),
    st.just('{"type": "answer", "question": 0, "response": [1, "a", {}]}'),
    st.just('{"type": "answer", "question": 99999999999999999999, "response": 1}'),
)
frames = st.one_of(text_frames.map(lambda text: ("text", text)), st.binary(max_size=300).map(lambda b: ("bytes", b)))


async def connect(path: str, user=None) -> tuple[WebsocketCommunicator, bool]:
    communicator = WebsocketCommunicator(app, path, headers=ORIGIN)
    communicator.scope["user"] = user or AnonymousUser()
    connected, _subprotocol = await communicator.connect()
    return communicator, connected


async def send(communicator, message: dict) -> None:
    await communicator.send_to(text_data=json.dumps(message))


async def receive(communicator, kind: str | None = None, timeout: float = 3) -> dict:
    while True:
        message = json.loads(await communicator.receive_from(timeout=timeout))
        if kind is None or message["type"] == kind:
            return message


async def join(session, nickname: str):
    player, connected = await connect(f"/ws/live/{session.pin}/")
    assert connected
    await send(player, {"type": "join", "nickname": nickname})
    return player, await receive(player, "joined")


@database_sync_to_async
def game_state(session_id: int, *, except_player: int | None = None) -> dict:
    """Everything a hostile frame must not change (a player's own answers excepted, when they may answer)."""
    session = LiveSession.objects.get(pk=session_id)
    answers = LiveAnswer.objects.filter(session_id=session_id).exclude(player_id=except_player)
    return {
        "session": (session.state, session.current_index, session.locked, session.question_deadline),
        "players": list(
            LivePlayer.objects.filter(session_id=session_id)
            .order_by("pk")
            .values_list("pk", "nickname", "score", "streak", "kicked")
        ),
        "answers": list(answers.order_by("pk").values_list("pk", "player_id", "question_index", "points")),
        "scores": list(Score.objects.order_by("pk").values_list("pk", "points")),
    }


async def still_served(*communicators) -> None:
    """Each connection still gets an answer from the server."""
    for communicator in communicators:
        await send(communicator, {"type": "ping"})
        assert (await receive(communicator, "pong"))["type"] == "pong"


async def attack(communicator, batch: list[tuple[str, object]], allowed=("error", "pong")) -> None:
    """Send each frame; each must be answered by an error or a pong (or the player's own answer being taken,
    where ``allowed`` says so), unless the server closed the socket."""
    for kind, payload in batch:
        # The raw ASGI event: send_to() refuses an empty frame, which a socket can carry.
        await communicator.send_input({"type": "websocket.receive", kind: payload})
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return
        reply = json.loads(output["text"])
        assert reply["type"] in allowed, reply
        if reply["type"] == "error":
            assert reply["code"] in ERRORS and reply["message"]


@pytest.fixture
def game(quiz, organiser, monkeypatch):
    """A lobby; the per-connection rate limit is lifted so that every hostile frame reaches the parser and
    the services instead of being turned away as "too many" (the limit has its own test below)."""
    monkeypatch.setattr(RateLimit, "allow", lambda self: True)
    return services.session_create(quiz=quiz, host=organiser, question_time_s=60)


@pytest.mark.django_db(transaction=True)
@settings(max_examples=40)
@given(batch=st.lists(frames, min_size=1, max_size=8))
def test_hostile_frames_in_the_lobby_change_nothing(game, organiser, batch):
    async def run():
        host, connected = await connect(f"/ws/live/host/{game.pk}/", organiser)
        assert connected
        await receive(host, "state")
        number = next(NUMBERS)  # the players of earlier examples leave, but their names stay taken
        # Each example's stranger types one wrong PIN: counted afresh, so that forty examples do not add up to
        # a block of this address (the limit on guessing PINs has its own tests).
        ratelimit.NAMESPACE = f"ratelimit-hostile-{number}-{uuid.uuid4().hex}"
        honest, _joined = await join(game, f"Honest {number}")
        mallory, joined = await join(game, f"Mallory {number}")
        before = await game_state(game.pk)
        await attack(mallory, batch)
        assert await game_state(game.pk) == before

        await send(host, {"type": "lock", "locked": True})  # so that a newcomer's well-formed join is refused
        await receive(host, "locked")
        before = await game_state(game.pk)
        newcomer, _connected = await connect(f"/ws/live/{game.pin}/")
        await attack(newcomer, batch)
        stranger, _connected = await connect(f"/ws/live/{game.pk}/")  # the session id as a PIN: no such game
        await attack(stranger, batch)
        assert await game_state(game.pk) == before
        await still_served(host, honest)
        await send(host, {"type": "lock", "locked": False})
        await receive(host, "locked")
        for communicator in (host, honest, mallory, newcomer, stranger):
            await communicator.disconnect()
        await LivePlayer.objects.filter(pk__in=[joined["player"], _joined["player"]]).adelete()

    async_to_sync(run)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_hostile_answers_to_an_open_question_change_nothing_else(game, organiser, participant):
    """While a question is open, Mallory may at most record her own answer; nobody else's answers, the scores
    and the game's state stay as they were, and strangers on the host's address are turned away."""
    host, _connected = await connect(f"/ws/live/host/{game.pk}/", organiser)
    await receive(host, "state")
    honest, _joined = await join(game, "Honest")
    mallory, joined = await join(game, "Mallory")
    await send(host, {"type": "start"})
    question = await receive(mallory, "question")
    before = await game_state(game.pk, except_player=joined["player"])
    ids = [choice["id"] for choice in question["choices"]]
    # The database's choice ids, which a phone never sees (it gets tokens): sent as answers, refused.
    raw_ids = await database_sync_to_async(
        lambda: list(Choice.objects.filter(question_id=game.question_ids[0]).values_list("pk", flat=True))
    )()
    hostile = (
        [
            {"type": "answer", "question": 0, "response": value}
            for value in (
                True,
                1.5,
                "1",
                {"id": ids[0] if ids else 1},
                [[1]],
                [True],
                ids * 50,
                [None],
                -1,
                2**63,
                2**64,
                "x" * 301,
                "\u202e<script>",
                [ids[0] if ids else 1, "a"],
            )
        ]
        + [{"type": "answer", "question": index, "response": ids[:1]} for index in (-1, 1, 10**30, True)]
        + [{"type": kind} for kind in HOST_MESSAGES]
        + [
            {"type": "kick", "player": _joined["player"]},
            {"type": "lock", "locked": True},
            {"type": "end", "id": {"nested": ["x"] * 10}},
        ]
    )
    if question["kind"] != "short_text":  # the database's ids, sorted or not, are refused before anything else
        for value in (*raw_ids, raw_ids, sorted(raw_ids), [str(pk) for pk in raw_ids]):
            await send(mallory, {"type": "answer", "question": 0, "response": value})
            assert (await receive(mallory, "error"))["code"] == "bad_answer"
        assert not await LiveAnswer.objects.filter(player_id=joined["player"]).aexists()
    for message in hostile:  # a text question may take "1" as Mallory's (wrong) answer: her own row, no more
        await attack(mallory, [("text", json.dumps(message))], allowed=("error", "pong", "answer_received"))
    await attack(mallory, [("bytes", b"\x00" * 10), ("text", json.dumps({"type": "ping", "pad": "x" * 10**6}))])
    assert await game_state(game.pk, except_player=joined["player"]) == before
    assert await LiveAnswer.objects.filter(player_id=joined["player"]).acount() <= 1

    for outsider in (None, participant):
        _intruder, connected = await connect(f"/ws/live/host/{game.pk}/", outsider)
        assert connected is False, "only the host's organisation may open the projector's socket"
    await still_served(host, honest)
    await send(host, {"type": "reveal"})
    assert (await receive(host, "reveal"))["index"] == 0, "the host still runs the game"
    for communicator in (host, honest, mallory):
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_flood_of_frames_is_slowed_down_not_served(quiz, organiser):
    game = await database_sync_to_async(services.session_create)(quiz=quiz, host=organiser)
    flooder, _joined = await join(game, "Flood")
    replies = []
    for _ in range(40):
        await flooder.send_input({"type": "websocket.receive", "text": '{"type": "ping"}'})
        replies.append(json.loads(await flooder.receive_from(timeout=3)))
    refused = [reply for reply in replies if reply.get("code") == "rate_limited"]
    assert len(refused) >= 20 and all(reply["message"] for reply in refused)
    await flooder.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(
    "frame", [{"type": "rejoin", "token": ""}, {"type": "join", "nickname": "Lạc"}, {"type": "ping"}]
)
async def test_frames_racing_a_refused_sockets_close_get_its_error(game, frame, monkeypatch):
    """A socket to a PIN with no game is refused and closed; frames that arrive before the close takes effect
    get the same refusal, not a crash of the consumer (found by the fuzz test above: a rejoin reached the
    join code without a game). The close is held back here so that the frame surely arrives first."""
    from live.consumers.player import PlayerConsumer

    async def close_later(self, code=None):
        return None

    monkeypatch.setattr(PlayerConsumer, "close", close_later)
    stranger, _connected = await connect(f"/ws/live/{game.pk}/")  # the session id as a PIN: no such game
    assert json.loads((await stranger.receive_output(timeout=3))["text"])["code"] == "ended"
    await stranger.send_input({"type": "websocket.receive", "text": json.dumps(frame)})
    reply = json.loads((await stranger.receive_output(timeout=3))["text"])
    assert reply["type"] == "error" and reply["code"] == "ended", reply
    assert not await LivePlayer.objects.filter(nickname="Lạc").aexists()
    await stranger.disconnect()
