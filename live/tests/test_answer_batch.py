"""Group commit of live answers (issue 19): a tick's answers checked one by one, stored in one transaction,
each acknowledged after the commit; a bad answer or a duplicate is answered alone, never the whole batch."""

import asyncio
import datetime as dt
import threading

import pytest
from channels.db import database_sync_to_async
from django.db import connection, transaction
from django.utils import timezone

from live import answer_batch, services
from live.answer_batch import AnswerBatcher
from live.models import LiveAnswer, LivePlayer, LiveSession
from live.protocol import ProtocolError
from live.tests.test_live import connect, hub_state, join, receive, send
from live.tests.test_live_integrity import _play_only


@pytest.fixture
def live_session(quiz, organiser):
    session = services.session_create(quiz=quiz, host=organiser, question_time_s=20)
    _play_only(session, "single")
    return session


def _open_question(session, nicknames):
    """Players joined and question 0 open: (players by nickname, the process's state, right token, wrong token)."""
    players = {name: services.player_join(session=session, nickname=name) for name in nicknames}
    services.session_start(session_id=session.pk, now=timezone.now())
    state = services.question_state(LiveSession.objects.get(pk=session.pk))
    right = next(iter(state.key.correct_ids))
    wrong = next(c for c in state.key.choice_ids if c != right)
    return players, state, state.tokens.token(right), state.tokens.token(wrong)


class CountedWrites:
    """How many transactions stored answers (a spy around the real ``services.answers_store``)."""

    def __init__(self, monkeypatch):
        self.batches: list[int] = []
        real = services.answers_store

        def counted(*, state, answers):
            self.batches.append(len(answers))
            return real(state=state, answers=answers)

        monkeypatch.setattr(services, "answers_store", counted)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_batch_with_a_bad_answer_refuses_it_alone_and_stores_the_rest(live_session, organiser, monkeypatch):
    """Four phones answer within one tick, one of them with something that is not a choice of the question:
    that one gets ``bad_answer``; the three others are stored in ONE transaction and acknowledged."""
    monkeypatch.setattr(answer_batch, "TICK_S", 0.3)  # a tick long enough for four sockets on a slow machine
    writes = CountedWrites(monkeypatch)
    host, _ = await connect(f"/ws/live/host/{live_session.pk}/", organiser)
    await receive(host, "state")
    phones = {name: (await join(live_session, name))[0] for name in ("An", "Bình", "Chi", "Dũng")}
    await send(host, {"type": "start"})
    for phone in phones.values():
        await receive(phone, "question")
    state = await hub_state(live_session.pk)
    right = state.tokens.token(next(iter(state.key.correct_ids)))
    for name, phone in phones.items():
        response = "khong-phai-lua-chon" if name == "Chi" else right
        await send(phone, {"type": "answer", "question": 0, "response": response})
    replies = {name: await receive(phone) for name, phone in phones.items()}
    assert replies["Chi"]["type"] == "error" and replies["Chi"]["code"] == "bad_answer"
    for name in ("An", "Bình", "Dũng"):
        assert replies[name] == {"type": "answer_received", "index": 0, "duplicate": False}, replies[name]
    assert writes.batches == [3], "the three good answers in one transaction"
    stored = await database_sync_to_async(lambda: set(LiveAnswer.objects.values_list("player__nickname", "correct")))()
    assert stored == {("An", True), ("Bình", True), ("Dũng", True)}
    for communicator in (host, *phones.values()):
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_duplicates_in_a_batch_and_against_a_stored_row_are_acknowledged_as_duplicates(live_session):
    """A player answering twice within one tick, and a player whose answer another process already stored
    (this process never saw it): each gets ``duplicate`` (False here), and each player has one row."""
    players, state, right, wrong = await database_sync_to_async(_open_question)(live_session, ["Hai lần", "Nơi khác"])
    twice, elsewhere = players["Hai lần"], players["Nơi khác"]
    now = timezone.now()
    other_process = services.answer_check(state=state, player_id=elsewhere.pk, index=0, response=wrong, now=now)
    await database_sync_to_async(other_process.save)()  # stored by another process: not in this state.answered

    def checked(player, response):
        return services.answer_check(state=state, player_id=player.pk, index=0, response=response, now=now)

    batcher, writes = AnswerBatcher(tick_s=0.2), []
    real = services.answers_store
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "answers_store", lambda **kw: writes.append(len(kw["answers"])) or real(**kw))
        outcomes = await asyncio.gather(
            batcher.answer(state, checked(twice, right)),
            batcher.answer(state, checked(twice, wrong)),
            batcher.answer(state, checked(elsewhere, right)),
        )
    assert outcomes == [True, False, False]
    assert writes == [3], "one transaction"
    rows = await database_sync_to_async(lambda: list(LiveAnswer.objects.values_list("player_id", "correct")))()
    assert sorted(rows) == sorted([(twice.pk, True), (elsewhere.pk, False)]), "the first answer of each stands"
    assert {twice.pk, elsewhere.pk} <= state.answered
    again = services.answer_check(state=state, player_id=twice.pk, index=0, response=right, now=now)
    assert again is None, "a later answer of the same player is a duplicate without the database"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_batch_the_question_closed_under_is_refused_as_a_whole_and_stores_nothing(live_session):
    """Another process revealed between the tick's checks and its commit: every answer gets the error it
    would have had alone, none is stored (an acknowledged answer is always scored)."""
    players, state, right, _wrong = await database_sync_to_async(_open_question)(live_session, ["Một", "Hai"])
    now = timezone.now()
    answers = [
        services.answer_check(state=state, player_id=p.pk, index=0, response=right, now=now) for p in players.values()
    ]
    await database_sync_to_async(
        lambda: LiveSession.objects.filter(pk=live_session.pk).update(state=LiveSession.State.REVEAL)
    )()
    batcher = AnswerBatcher(tick_s=0.05)
    outcomes = await asyncio.gather(*(batcher.answer(state, a) for a in answers), return_exceptions=True)
    assert [type(o) for o in outcomes] == [ProtocolError, ProtocolError]
    assert {o.code for o in outcomes} == {"wrong_question"} and outcomes[0] is not outcomes[1]
    assert not await LiveAnswer.objects.acount()


@pytest.mark.django_db(transaction=True)
def test_answers_past_a_deadline_moved_earlier_are_refused_one_by_one_in_the_batch(live_session):
    """The host stopped the clock (``time_up``) while a batch was filling: answers that arrived before the new
    deadline and its grace are stored, the later ones refused with ``too_late``, in the same transaction."""
    players, state, right, _wrong = _open_question(live_session, ["Sớm", "Muộn"])
    start = state.started_at
    pressed = start + dt.timedelta(seconds=5)
    assert services.question_reveal(session_id=live_session.pk, now=pressed)["type"] == "time_up"
    early, late = pressed, pressed + dt.timedelta(seconds=2)
    answers = [
        services.answer_check(state=state, player_id=players["Sớm"].pk, index=0, response=right, now=early),
        services.answer_check(state=state, player_id=players["Muộn"].pk, index=0, response=right, now=late),
    ]
    stored, refused = services.answers_store(state=state, answers=answers)
    assert stored is True and isinstance(refused, ProtocolError) and refused.code == "too_late"
    assert list(LiveAnswer.objects.values_list("player_id", flat=True)) == [players["Sớm"].pk]


@pytest.mark.django_db(transaction=True)
def test_the_reveal_waits_for_a_batch_in_flight_and_scores_it(live_session):
    """A batch holds the session row from its check to its commit: a reveal asked for meanwhile (another
    process, the host's automatic reveal) waits, then scores every answer of the batch — acknowledged ⇒ scored.
    PostgreSQL: FOR KEY SHARE against the reveal's FOR UPDATE; SQLite: one writer at a time."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("the in-memory test database's shared cache fails a second writer at once instead of waiting")
    players, state, right, _wrong = _open_question(live_session, ["Đầu", "Cuối"])
    now = timezone.now()
    answers = [
        services.answer_check(state=state, player_id=p.pk, index=0, response=right, now=now) for p in players.values()
    ]
    revealed = {}

    def reveal():
        try:
            revealed["event"] = services.question_reveal(session_id=live_session.pk, now=now)
        finally:
            connection.close()

    with transaction.atomic():  # the batch's transaction, held open between its INSERT and its commit
        assert services.answers_store(state=state, answers=answers) == [True, True]
        racer = threading.Thread(target=reveal)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the reveal waits for the batch's commit"
    racer.join(timeout=10)
    event = revealed["event"]
    assert event["type"] == "reveal" and event["answered"] == 2, "everyone answered: revealed, both scored"
    assert all(result[0] == 1 and result[1] > 0 for result in event["results"].values())
    assert sorted(LivePlayer.objects.values_list("score", flat=True)) == sorted(r[2] for r in event["results"].values())


@pytest.mark.django_db(transaction=True)
def test_a_tick_of_joins_refuses_each_bad_one_alone_and_adds_the_rest_at_once(live_session, participant):
    """One INSERT for a tick's joins; each refusal is the one a single join would get: a nickname taken by a
    player of the game (case aside) or earlier in the same tick, a rude one; a signed-in user's two phones
    in the same tick get the same player."""
    from django.contrib.auth.models import AnonymousUser

    services.player_join(session=live_session, nickname="Lan")
    guest = AnonymousUser()
    requests = [
        services.JoinRequest("lan", guest),
        services.JoinRequest("Minh", guest),
        services.JoinRequest("MINH", guest),
        services.JoinRequest("vcl", guest),
        services.JoinRequest("Tài khoản", participant),
        services.JoinRequest("Điện thoại hai", participant),
        services.JoinRequest("Hoa", guest),
    ]
    outcomes = services.players_join(session_id=live_session.pk, requests=requests)
    codes = [o.code if isinstance(o, ProtocolError) else o.nickname for o in outcomes]
    assert codes == ["nickname_taken", "Minh", "nickname_taken", "nickname_rude", "Tài khoản", "Tài khoản", "Hoa"]
    assert outcomes[4].pk == outcomes[5].pk and outcomes[4].user_id == participant.pk
    assert sorted(LivePlayer.objects.values_list("nickname", flat=True)) == ["Hoa", "Lan", "Minh", "Tài khoản"]
    again = services.players_join(session_id=live_session.pk, requests=[services.JoinRequest("Khác", participant)])
    assert again[0].pk == outcomes[4].pk, "a later phone of the same account gets the same player"


NICKNAMES = ("Một", "Hai", "một", "Ba")


async def _phones_saying(live_session, messages):
    """One phone per message, each sending it at once: (the phones, their first replies)."""
    phones = []
    for message in messages:
        phone, connected = await connect(f"/ws/live/{live_session.pin}/")
        assert connected
        await send(phone, message)
        phones.append(phone)
    return phones, [await receive(phone) for phone in phones]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_phones_joining_within_a_tick_are_added_and_welcomed_in_one_batch(live_session, monkeypatch):
    monkeypatch.setattr(answer_batch, "TICK_S", 0.3)
    joins = []
    real = services.players_join
    monkeypatch.setattr(services, "players_join", lambda **kw: joins.append(len(kw["requests"])) or real(**kw))
    phones, replies = await _phones_saying(live_session, [{"type": "join", "nickname": n} for n in NICKNAMES])
    assert [r["type"] for r in replies] == ["joined", "joined", "error", "joined"]
    assert replies[2]["code"] == "nickname_taken" and joins == [4]
    assert [r["rank"] for r in replies if r["type"] == "joined"] == [1, 1, 1]
    assert {r["player"] for r in replies if r["type"] == "joined"} == set(
        await database_sync_to_async(lambda: list(LivePlayer.objects.values_list("pk", flat=True)))()
    )
    for phone in phones:
        await phone.disconnect()


@pytest.mark.django_db(transaction=True)
def test_a_tick_of_rejoins_is_one_read_and_each_gets_its_own_outcome(live_session, quiz, organiser, monkeypatch):
    """A server went down mid-game and its phones come back on this one within a tick: the players are read
    in one query; a forged token, another game's token and a kicked player each get the error they would
    have had alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from live.payloads import player_token

    players = [services.player_join(session=live_session, nickname=name) for name in ("Về", "Lại", "Bị loại")]
    LivePlayer.objects.filter(pk=players[2].pk).update(kicked=True)
    other_game = services.session_create(quiz=quiz, host=organiser, question_time_s=20)
    stranger = services.player_join(session=other_game, nickname="Lạc")
    tokens = [player_token(p) for p in players] + ["giả-mạo", player_token(stranger)]
    with CaptureQueriesContext(connection) as queries:
        outcomes = services.players_rejoin(session_id=live_session.pk, tokens=tokens)
    assert len(queries) == 1
    assert [o.pk for o in outcomes[:2]] == [players[0].pk, players[1].pk]
    assert [o.code for o in outcomes[2:]] == ["kicked", "bad_token", "bad_token"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_phones_rejoining_within_a_tick_are_read_in_one_batch(live_session, monkeypatch):
    from live.payloads import player_token

    monkeypatch.setattr(answer_batch, "TICK_S", 0.3)
    players = await database_sync_to_async(
        lambda: [services.player_join(session=live_session, nickname=name) for name in ("Một", "Hai", "Ba")]
    )()
    rejoins = []
    real = services.players_rejoin
    monkeypatch.setattr(services, "players_rejoin", lambda **kw: rejoins.append(len(kw["tokens"])) or real(**kw))
    tokens = [player_token(p) for p in players] + ["hỏng"]
    phones, replies = await _phones_saying(live_session, [{"type": "rejoin", "token": t} for t in tokens])
    assert [r["type"] for r in replies] == ["joined", "joined", "joined", "error"]
    assert [r["player"] for r in replies[:3]] == [p.pk for p in players] and replies[3]["code"] == "bad_token"
    assert rejoins == [4], "one read for the tick's rejoins"
    for phone in phones:
        await phone.disconnect()
