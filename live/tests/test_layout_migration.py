"""The live game moved from ``quizzes`` to its own app without losing a row: a database populated before the
move (rows written through the old ``quizzes.Live*`` migration state) is migrated forward and read back
through ``live.models``."""

import datetime as dt

import pytest
from django.utils import timezone

from contest_site.tests.migration_steps import migrate_forward, migrate_to
from live.models import LiveAnswer, LivePlayer, LiveRoundChoice, LiveSession

BEFORE_THE_MOVE = [
    ("contenttypes", "0002_remove_content_type_name"),
    ("quizzes", "0007_review_question_status"),
    ("live", None),
]


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_every_live_row(quiz, organiser, make_event, participant):
    rnd = make_event(rounds=1).rounds.get()
    old = migrate_to(BEFORE_THE_MOVE)
    at = timezone.now() - dt.timedelta(hours=1)
    Session = old.get_model("quizzes", "LiveSession")
    session = Session.objects.create(
        quiz_id=quiz.pk,
        round_id=rnd.pk,
        host_id=organiser.pk,
        pin="123456",
        state="ended",
        counts=True,
        question_ids=[1, 2],
        current_index=1,
        skipped=[1],
        ended_at=at,
    )
    player = old.get_model("quizzes", "LivePlayer").objects.create(
        session=session, user_id=participant.pk, nickname="Mèo", score=950, streak=1
    )
    old.get_model("quizzes", "LiveAnswer").objects.create(
        session=session,
        player=player,
        question_index=0,
        response=[7],
        elapsed_ms=1200,
        correct=True,
        points=950,
        answered_at=at,
    )
    old.get_model("quizzes", "LiveRoundChoice").objects.create(
        round_id=rnd.pk, session=session, by_id=organiser.pk, at=at
    )
    ContentType = old.get_model("contenttypes", "ContentType")
    kind, _ = ContentType.objects.get_or_create(app_label="quizzes", model="livesession")

    migrate_forward()

    moved = LiveSession.objects.get(pk=session.pk)
    assert (moved.quiz_id, moved.round_id, moved.host_id, moved.pin) == (quiz.pk, rnd.pk, organiser.pk, "123456")
    assert moved.state == LiveSession.State.ENDED and moved.counts and moved.skipped == [1]
    assert [(p.nickname, p.score, p.user_id) for p in moved.players.all()] == [("Mèo", 950, participant.pk)]
    answer = LiveAnswer.objects.get(session=moved)
    assert (answer.player_id, answer.response, answer.points, answer.correct) == (player.pk, [7], 950, True)
    assert LiveRoundChoice.objects.get(round=rnd).session_id == moved.pk
    assert LivePlayer.objects.count() == 1
    kind.refresh_from_db()
    assert (kind.app_label, kind.model) == ("live", "livesession")  # permissions and admin log entries follow
