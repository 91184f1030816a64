"""Live games that cannot be gamed (issue 13): opaque choice identifiers, a reveal that waits for every
answer the server accepts, and nothing acknowledged that is not scored."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from live import payloads, rounds, services
from live.models import LiveAnswer, LivePlayer, LiveSession
from live.protocol import ProtocolError
from quizzes.models import Question
from quizzes.services import answer_key
from quizzes.tests.conftest import publish_round_results

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_session(quiz, organiser):
    return services.session_create(quiz=quiz, host=organiser, question_time_s=20)


def _play_only(session, question_type):
    """Make every question of the session the quiz's question of ``question_type`` (many indices, one question)."""
    question = Question.objects.get(bank__quizzes=session.quiz, type=question_type)
    LiveSession.objects.filter(pk=session.pk).update(question_ids=[question.pk] * 600)
    session.refresh_from_db()
    return question


def test_sorting_the_visible_ids_of_an_ordering_question_never_gives_its_answer(live_session):
    """Over 600 plays of an ordering question, neither the sorted identifiers nor the order shown match the
    answer more often than chance (1 in 3! = 6); with choice ids, sorting them gave it every time."""
    question = _play_only(live_session, "ordering")
    key = answer_key(Question.objects.prefetch_related("choices").get(pk=question.pk))
    now = timezone.now()
    sorted_hits = shown_hits = 0
    for index in range(600):
        live_session.current_index = index
        shown = [c["id"] for c in payloads.question_payload(live_session, question, now)["choices"]]
        tokens = payloads.question_tokens(live_session, index, key.choice_ids)
        assert all(isinstance(t, str) and not t.isdigit() for t in shown)
        assert not {str(cid) for cid in key.choice_ids} & set(shown), "no choice id is visible"
        sorted_hits += [tokens.choice_id(t) for t in sorted(shown)] == list(key.choice_ids)
        shown_hits += [tokens.choice_id(t) for t in shown] == list(key.choice_ids)
    assert 0.10 < sorted_hits / 600 < 0.24
    assert 0.10 < shown_hits / 600 < 0.24


def test_answers_come_as_tokens_and_a_raw_choice_id_is_refused(live_session, participant):
    start = timezone.now()
    _play_only(live_session, "single")
    player = services.player_join(session=live_session, nickname="Tò mò")
    services.session_start(session_id=live_session.pk, now=start)
    state = services.question_state(LiveSession.objects.get(pk=live_session.pk))
    right = next(iter(state.key.correct_ids))
    for forged in (right, str(right), [state.tokens.token(right)], "khong-phai-token"):
        with pytest.raises(ProtocolError) as refused:
            services.answer_submit(state=state, player_id=player.pk, index=0, response=forged, now=start)
        assert refused.value.code == "bad_answer"
    token = state.tokens.token(right)
    assert services.answer_submit(state=state, player_id=player.pk, index=0, response=token, now=start)
    assert LiveAnswer.objects.get().response == right, "the database keeps the choice id"
    reveal = services.question_reveal(session_id=live_session.pk, now=start)
    assert reveal["type"] == "reveal" and reveal["correct"] == [token] and reveal["distribution"] == {token: 1}


def test_the_reveal_waits_for_the_grace_and_scores_an_answer_sent_in_it(live_session):
    """The buzzer at 20 s; an answer 200 ms after it is accepted (network delay), so neither the host's
    button nor the automatic reveal may close the question before the grace is over, and it scores."""
    start = timezone.now()
    _play_only(live_session, "single")
    late = services.player_join(session=live_session, nickname="Mạng chậm")
    services.player_join(session=live_session, nickname="Không trả lời")
    services.session_start(session_id=live_session.pk, now=start)
    deadline = start + dt.timedelta(seconds=20)
    state = services.question_state(LiveSession.objects.get(pk=live_session.pk))
    in_flight = deadline + dt.timedelta(milliseconds=100)
    assert not services.reveal_due(deadline=deadline, answered=0, players=2, now=in_flight)
    early = services.question_reveal(session_id=live_session.pk, now=in_flight)
    assert early["type"] == "time_up", "no reveal while answers are still accepted"
    right = state.tokens.token(next(iter(state.key.correct_ids)))
    in_grace = deadline + dt.timedelta(milliseconds=200)
    assert services.answer_submit(state=state, player_id=late.pk, index=0, response=right, now=in_grace)
    after = deadline + dt.timedelta(milliseconds=services.ANSWER_GRACE_MS + 1)
    assert services.reveal_due(deadline=deadline, answered=1, players=2, now=after)
    reveal = services.question_reveal(session_id=live_session.pk, now=after)
    assert reveal["type"] == "reveal" and reveal["answered"] == 1
    assert reveal["results"][str(late.pk)][:2] == [1, 500], "the answer in the grace is scored"
    assert LivePlayer.objects.get(pk=late.pk).score == 500


def test_the_hosts_early_reveal_stops_the_clock_then_reveals_after_the_grace(live_session):
    start = timezone.now()
    player = services.player_join(session=live_session, nickname="Chưa kịp")
    services.session_start(session_id=live_session.pk, now=start)
    stale = services.question_state(LiveSession.objects.get(pk=live_session.pk))
    pressed = start + dt.timedelta(seconds=5)
    assert services.question_reveal(session_id=live_session.pk, now=pressed)["type"] == "time_up"
    session = LiveSession.objects.get(pk=live_session.pk)
    assert session.state == "question" and session.question_deadline == pressed
    # A process that has not heard of the time-up yet still refuses, from the database, an answer past it.
    too_late = pressed + dt.timedelta(seconds=1)
    response = stale.tokens.response_to_client(stale.key.type, _right_ids(stale.key))
    with pytest.raises(ProtocolError) as refused:
        services.answer_submit(state=stale, player_id=player.pk, index=0, response=response, now=too_late)
    assert refused.value.code == "too_late"
    assert services.question_reveal(session_id=live_session.pk, now=too_late)["type"] == "reveal"


def test_an_answer_checked_against_a_stale_state_after_the_reveal_is_refused_not_acknowledged(live_session):
    """Another process revealed; this one still holds the question's state. Acknowledging the answer would
    store it as right, and it would never be scored: the database says the question is closed."""
    start = timezone.now()
    _play_only(live_session, "single")
    first = services.player_join(session=live_session, nickname="Nhanh tay")
    services.session_start(session_id=live_session.pk, now=start)
    stale = services.question_state(LiveSession.objects.get(pk=live_session.pk))
    right = stale.tokens.token(next(iter(stale.key.correct_ids)))
    assert services.answer_submit(state=stale, player_id=first.pk, index=0, response=right, now=start)
    assert services.question_reveal(session_id=live_session.pk, now=start)["type"] == "reveal"
    second = services.player_join(session=live_session, nickname="Vào muộn")
    with pytest.raises(ProtocolError):
        services.answer_submit(state=stale, player_id=second.pk, index=0, response=right, now=start)
    assert LiveAnswer.objects.filter(player=second).count() == 0


# --- Contest material is not hosted by others --------------------------------------------------


@pytest.fixture
def teacher(make_user, organisation):
    from contests import services as contest_services
    from contests.models import Membership

    user = make_user("giao.vien@example.vn")
    contest_services.membership_add(user=user, organisation=organisation, role=Membership.Role.TEACHER)
    return user


def test_a_teacher_cannot_host_the_quiz_of_an_open_contest_round_until_it_is_over(
    client, quiz_round, quiz, teacher, organiser
):
    from django.urls import reverse
    from django.utils import translation

    form = {"quiz": quiz.pk, "allow_guests": "on", "scoring": "speed", "streak_bonus": "on", "question_time_s": 20}
    client.force_login(teacher)
    with translation.override("en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.post(reverse("live_session_create"), form)
    assert response.status_code == 200 and not LiveSession.objects.filter(host=teacher).exists()
    assert "only the organisers of that contest may host it" in response.content.decode()
    with pytest.raises(services.ContestMaterial):
        services.session_create(quiz=quiz, host=teacher)
    # The contest's organisers may (a rehearsal); once the round's results are public, anyone allowed to host may.
    assert services.session_create(quiz=quiz, host=organiser).host == organiser
    publish_round_results(quiz_round)
    assert services.session_create(quiz=quiz, host=teacher).host == teacher


# --- Live rounds that count --------------------------------------------------------------------


@pytest.fixture
def live_round(make_event):
    from contests import services as contest_services

    event = make_event(rounds=0)
    rnd = contest_services.round_create(
        event=event,
        fields={"title": "Trực tiếp", "kind": "live", "opens_at": event.opens_at, "closes_at": event.closes_at},
    )
    contest_services.event_transition(event=event, to_state="open", by=event.created_by)
    rnd.refresh_from_db()
    return rnd


def _ended_game(quiz, host, rnd, scores: dict, now=None) -> LiveSession:
    """A session of the round in which each (user or None for a guest, nickname) scored, then ended."""
    session = services.session_create(quiz=quiz, host=host, rnd=rnd)
    for (user, nickname), score in scores.items():
        joined = services.player_join(session=session, nickname=nickname, user=user)
        LivePlayer.objects.filter(pk=joined.pk).update(score=score)
    services.session_end(session_id=session.pk, now=now)
    session.refresh_from_db()
    return session


def test_only_eligible_participants_who_neither_organise_nor_judge_score_in_a_live_round(
    quiz, organiser, live_round, player, participant, judge
):
    from django.utils import translation

    from leaderboard.models import Score

    session = _ended_game(
        quiz,
        organiser,
        live_round,
        {
            (player, "Dân"): 3000,
            (organiser, "Ban tổ chức"): 5000,
            (judge, "Giám khảo"): 4000,
            (participant, "Chưa đủ hồ sơ"): 2000,
            (None, "Khách"): 1000,
        },
    )
    assert {s.user for s in Score.objects.filter(round=live_round)} == {player}
    # The phones were told, in their language, that their score would not count.
    with translation.override("en"):
        assert rounds.player_note(session, session.players.get(user=player), timezone.now()) is None
        assert "does not count" in rounds.player_note(session, session.players.get(user=organiser), timezone.now())
        assert "does not count" in rounds.player_note(session, session.players.get(user=participant), timezone.now())
        assert "does not count" in rounds.player_note(session, session.players.get(user=None), timezone.now())
    with translation.override("vi"):
        note = rounds.player_note(session, session.players.get(user=judge), timezone.now())
        assert note, "a Vietnamese phone is told too (the msgid is in locale/fragments/wp-live.po)"


def test_the_first_session_counts_and_a_later_one_no_longer_overwrites_its_scores(
    quiz, organiser, live_round, player, player2
):
    from leaderboard.models import Score
    from live.models import LiveRoundChoice

    first = _ended_game(quiz, organiser, live_round, {(player, "Một"): 3000, (player2, "Hai"): 1000})
    second = _ended_game(quiz, organiser, live_round, {(player, "Một"): 100})
    assert first.counts and not second.counts
    assert Score.objects.get(round=live_round, user=player).points == 3000, "the practice game changed nothing"
    log = LiveRoundChoice.objects.get(round=live_round)
    assert (log.session, log.previous, log.by) == (first, None, organiser)


def test_the_organiser_switches_the_counting_session_logged_and_the_scores_follow(
    client, quiz, organiser, other_organiser, live_round, player, player2
):
    from django.urls import reverse

    from leaderboard.models import Score
    from live.models import LiveRoundChoice

    first = _ended_game(quiz, organiser, live_round, {(player, "Một"): 3000, (player2, "Hai"): 1000})
    second = _ended_game(quiz, organiser, live_round, {(player, "Một"): 100})
    url = reverse("organiser_live_round_choose", args=[live_round.pk])
    client.force_login(other_organiser)
    assert client.post(url, {"session": second.pk}).status_code == 404
    client.force_login(organiser)
    assert client.post(url, {"session": second.pk}).status_code == 302
    assert {(s.user, s.points) for s in Score.objects.filter(round=live_round)} == {(player, 100)}
    choice = LiveRoundChoice.objects.filter(round=live_round).latest("at", "pk")
    assert (choice.session, choice.previous, choice.by) == (second, first, organiser)
    assert list(LiveSession.objects.filter(round=live_round, counts=True)) == [second]
    page = client.get(reverse("organiser_live_round", args=[live_round.pk]))
    assert page.status_code == 200 and second.pin in page.content.decode()
    # And back: the first session's scores return.
    rounds.live_round_choose(rnd=live_round, session=first, by=organiser)
    assert {(s.user, s.points) for s in Score.objects.filter(round=live_round)} == {(player, 3000), (player2, 1000)}


def test_two_sessions_of_a_round_cannot_both_count(quiz, organiser, live_round):
    from django.db import IntegrityError, transaction

    services.session_create(quiz=quiz, host=organiser, rnd=live_round)
    second = services.session_create(quiz=quiz, host=organiser, rnd=live_round)
    with pytest.raises(IntegrityError), transaction.atomic():
        LiveSession.objects.filter(pk=second.pk).update(counts=True)


def _play(session, plan: list[dict], start):
    """Play the session through services: per question, {player: right?} (missing = no answer), or
    "skip"; the host reveals after the grace. Ends with the last question still open if asked."""
    now, opened = start, False
    for index, answers in enumerate(plan):
        if not opened:
            (services.session_start if index == 0 else services.question_next)(session_id=session.pk, now=now)
        opened = False
        if answers == "skip":  # skipping opens the next question at once
            services.question_skip(session_id=session.pk, now=now)
            opened = True
            continue
        state = services.question_state(LiveSession.objects.get(pk=session.pk))
        for player, right in answers.items():
            ids = _right_ids(state.key) if right else _wrong_ids(state.key)
            response = state.tokens.response_to_client(state.key.type, ids)
            services.answer_submit(state=state, player_id=player.pk, index=index, response=response, now=now)
        now += dt.timedelta(minutes=1)
        services.question_reveal(session_id=session.pk, now=now)
    services.session_end(session_id=session.pk, now=now)


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


def test_verify_results_recomputes_a_live_round_from_its_answers_and_reports_tampering(
    quiz, organiser, live_round, player, player2
):
    from decimal import Decimal

    from django.core.management import CommandError, call_command

    from leaderboard.models import Score

    session = services.session_create(quiz=quiz, host=organiser, rnd=live_round, streak_bonus=True)
    one = services.player_join(session=session, nickname="Một", user=player)
    two = services.player_join(session=session, nickname="Hai", user=player2)
    services.player_join(session=session, nickname="Khách")
    _play(
        session,
        [{one: True, two: False}, {one: True, two: True}, "skip", {one: True}, {one: False, two: True}],
        timezone.now(),
    )
    scores = dict(Score.objects.filter(round=live_round).values_list("user_id", "points"))
    assert scores[player.pk] > scores[player2.pk] > 0
    call_command("verify_results", str(live_round.pk))
    Score.objects.filter(round=live_round, user=player2).update(points=Decimal(99999))
    with pytest.raises(CommandError, match="1 differences"):
        call_command("verify_results", str(live_round.pk))


def test_ending_with_a_question_open_scores_its_acknowledged_answers(quiz, organiser, live_round, player):
    """The host ends the game mid-question: the answers already acknowledged count, and verify agrees."""
    from django.core.management import call_command

    from leaderboard.models import Score

    session = services.session_create(quiz=quiz, host=organiser, rnd=live_round, question_time_s=20)
    one = services.player_join(session=session, nickname="Một", user=player)
    start = timezone.now()
    services.session_start(session_id=session.pk, now=start)
    state = services.question_state(LiveSession.objects.get(pk=session.pk))
    response = state.tokens.response_to_client(state.key.type, _right_ids(state.key))
    services.answer_submit(state=state, player_id=one.pk, index=0, response=response, now=start)
    services.session_end(session_id=session.pk, now=start + dt.timedelta(seconds=1))
    assert Score.objects.get(round=live_round, user=player).points == 1000
    call_command("verify_results", str(live_round.pk))


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_phone_of_someone_who_does_not_score_is_told_so_when_joining(quiz, organiser, live_round, player):
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from .test_live import app, receive, send

    session = await database_sync_to_async(services.session_create)(quiz=quiz, host=organiser, rnd=live_round)
    notes = {}
    for user, nickname in ((organiser, "Ban tổ chức"), (player, "Dân")):
        phone = WebsocketCommunicator(app, f"/ws/live/{session.pin}/", headers=[(b"origin", b"http://testserver")])
        phone.scope["user"] = user
        phone.scope["cookies"] = {"django_language": "en"}
        await phone.connect()
        await send(phone, {"type": "join", "nickname": nickname})
        notes[nickname] = (await receive(phone, "joined"))["note"]
        await phone.disconnect()
    assert "your score does not count" in notes["Ban tổ chức"] and notes["Dân"] is None


@pytest.mark.django_db(transaction=True)
def test_an_answer_racing_a_reveal_waits_for_it_and_is_refused_on_postgresql(live_session):
    """The reveal holds the session row; an answer arriving meanwhile (its process still thinks the question
    open) waits, then reads the committed reveal and is refused, rather than being stored unscored."""
    import threading

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite's IMMEDIATE transactions serialise every writer)")
    start = timezone.now()
    player = services.player_join(session=live_session, nickname="Đua")
    services.session_start(session_id=live_session.pk, now=start)
    stale = services.question_state(LiveSession.objects.get(pk=live_session.pk))
    response = stale.tokens.response_to_client(stale.key.type, _right_ids(stale.key))
    outcome = {}

    def answer():
        try:
            outcome["stored"] = services.answer_submit(
                state=stale, player_id=player.pk, index=0, response=response, now=start
            )
        except ProtocolError as error:
            outcome["refused"] = error.code
        finally:
            connection.close()

    with transaction.atomic():
        LiveSession.objects.select_for_update().get(pk=live_session.pk)  # as _reveal's lock
        racer = threading.Thread(target=answer)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the answer waits for the reveal's transaction"
        LiveSession.objects.filter(pk=live_session.pk).update(state=LiveSession.State.REVEAL)
    racer.join(timeout=5)
    assert outcome == {"refused": "wrong_question"} and not LiveAnswer.objects.exists()


def test_a_live_round_is_published_only_after_its_counting_game_ended(quiz, organiser, live_round, player):
    """Publishing while the counting game still runs would freeze an empty board and refuse its scores."""
    from django.core.exceptions import ValidationError

    from leaderboard import results

    session = services.session_create(quiz=quiz, host=organiser, rnd=live_round)
    services.player_join(session=session, nickname="Dân", user=player)
    after_close = live_round.closes_at + dt.timedelta(minutes=1)
    with pytest.raises(ValidationError):
        results.round_results_publish(rnd=live_round, by=organiser, prizes={"first": 1}, now=after_close)
    services.session_end(session_id=session.pk)
    published = results.round_results_publish(rnd=live_round, by=organiser, prizes={"first": 1}, now=after_close)
    assert list(published.rows.values_list("user_id", flat=True)) == [player.pk]
