"""Appeal rules: the window, who may appeal, limits, and each way an accepted appeal changes the results
(always through the audited correction)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from appeals import services
from appeals.models import Appeal
from leaderboard.models import Correction, ResultRow, Score
from quizzes.models import Choice

from .conftest import SINGLE_TEXT, wrong_item

pytestmark = pytest.mark.django_db


def test_no_appeal_before_publication_or_without_a_window(make_quiz_round, player, now):
    quiz_round = make_quiz_round()
    assert services.appeal_problems(rnd=quiz_round.round, user=player, now=now)
    services.appeal_policy_set(rnd=quiz_round.round, days=7, max_per_round=3)
    with pytest.raises(ValidationError, match="not published"):
        services.appeal_create(rnd=quiz_round.round, user=player, kind="score", text="Xin phúc khảo", now=now)


def test_zero_days_means_no_appeals(published, player, after_publication):
    services.appeal_policy_set(rnd=published, days=0, max_per_round=2)
    with pytest.raises(ValidationError):
        services.appeal_create(rnd=published, user=player, kind="score", text="Xin phúc khảo", now=after_publication)


def test_the_window_closes_after_its_days(published, player):
    late = published.result_set_obj.published_at + dt.timedelta(days=7, minutes=1)
    with pytest.raises(ValidationError, match="closed"):
        services.appeal_create(rnd=published, user=player, kind="score", text="Xin phúc khảo", now=late)


def test_only_participants_with_a_result_may_appeal(published, make_user, after_publication):
    stranger = make_user("stranger@example.vn")
    with pytest.raises(ValidationError, match="published result"):
        services.appeal_create(rnd=published, user=stranger, kind="score", text="Xin phúc khảo", now=after_publication)


def test_a_question_appeal_names_an_item_of_ones_own_attempt(published, player, player2, after_publication):
    others = wrong_item(published, player2)
    with pytest.raises(ValidationError, match="Choose the question"):
        services.appeal_create(
            rnd=published, user=player, kind="question", item=others, text="Câu này sai đáp án", now=after_publication
        )
    assert not Appeal.objects.exists()


def test_one_open_appeal_per_question_and_a_cap_per_round(published, player, after_publication):
    item = wrong_item(published, player)
    first = services.appeal_create(
        rnd=published, user=player, kind="question", item=item, text="Đáp án sai", now=after_publication
    )
    assert first.messages.count() == 1
    with pytest.raises(ValidationError, match="already have an open appeal"):
        services.appeal_create(
            rnd=published, user=player, kind="question", item=item, text="Lần nữa", now=after_publication
        )
    services.appeal_create(rnd=published, user=player, kind="score", text="Điểm tổng", now=after_publication)
    services.appeal_answer(appeal=first, by=published.event.created_by, accept=False, reason="Đáp án đúng.")
    with pytest.raises(ValidationError, match="used your 2 appeals"):
        services.appeal_create(
            rnd=published, user=player, kind="question", item=item, text="Lần ba", now=after_publication
        )


def test_empty_text_is_refused(published, player, after_publication):
    with pytest.raises(ValidationError):
        services.appeal_create(rnd=published, user=player, kind="score", text="   ", now=after_publication)


def test_rejecting_changes_nothing_but_the_appeal(published, player, organiser, after_publication):
    appeal = services.appeal_create(rnd=published, user=player, kind="score", text="Xem lại", now=after_publication)
    with pytest.raises(ValidationError, match="reason"):
        services.appeal_answer(appeal=appeal, by=organiser, accept=False, reason=" ")
    services.appeal_answer(appeal=appeal, by=organiser, accept=False, reason="Điểm đã đúng.", now=after_publication)
    appeal.refresh_from_db()
    assert appeal.status == "rejected" and appeal.answer == "Điểm đã đúng."
    assert not Correction.objects.exists()
    assert [m.from_organiser for m in appeal.messages.all()] == [False, True]
    with pytest.raises(ValidationError, match="already been answered"):
        services.appeal_answer(appeal=appeal, by=organiser, accept=True, reason="x", resolution="points")
    with pytest.raises(ValidationError, match="thread is closed"):
        services.appeal_message_add(appeal=appeal, author=player, body="Vì sao?", from_organiser=False)


def test_awarding_the_point_goes_through_the_audited_correction(
    published, player, player2, organiser, after_publication
):
    row = ResultRow.objects.get(user=player)
    assert (row.total, row.rank) == (Decimal(4), 2)
    appeal = services.appeal_create(
        rnd=published,
        user=player,
        kind="question",
        item=wrong_item(published, player),
        text="Cả hai đều đúng",
        now=after_publication,
    )
    services.appeal_answer(appeal=appeal, by=organiser, accept=True, reason="Câu hỏi mơ hồ.", resolution="award")
    row.refresh_from_db()
    appeal.refresh_from_db()
    assert row.total == Decimal(5) and appeal.points_change == Decimal(1) and appeal.status == "accepted"
    assert Score.objects.get(user=player, round=published).points == Decimal(5)
    total_log = Correction.objects.get(row=row, field="total")
    assert (total_log.old_value, total_log.new_value, total_log.by) == ("4.00", "5.00", organiser)
    assert f"#{appeal.pk}" in total_log.reason and "Câu hỏi mơ hồ." in total_log.reason


def test_award_refused_when_the_point_was_already_earned(published, player2, organiser, after_publication):
    appeal = services.appeal_create(
        rnd=published,
        user=player2,
        kind="question",
        item=wrong_item(published, player2),
        text="Xem lại",
        now=after_publication,
    )
    with pytest.raises(ValidationError, match="already has every point"):
        services.appeal_answer(appeal=appeal, by=organiser, accept=True, reason="Ok", resolution="award")
    appeal.refresh_from_db()
    assert appeal.status == "open"


def test_correcting_the_key_regrades_every_attempt_of_the_round(
    published, player, player2, organiser, after_publication
):
    item = wrong_item(published, player)
    appeal = services.appeal_create(
        rnd=published, user=player, kind="question", item=item, text="Đáp án phải là 123456", now=after_publication
    )
    new_key = {Choice.objects.get(question=item.question, text="123456").pk}
    services.appeal_answer(
        appeal=appeal, by=organiser, accept=True, reason="Đáp án in nhầm.", resolution="rekey", correct_ids=new_key
    )
    totals = dict(ResultRow.objects.values_list("user_id", "total"))
    assert totals == {player.pk: Decimal(5), player2.pk: Decimal(4)}
    assert set(Correction.objects.filter(field="total").values_list("row__user_id", flat=True)) == {
        player.pk,
        player2.pk,
    }
    item.refresh_from_db()
    assert item.points == Decimal(1)
    assert ResultRow.objects.get(user=player).rank == 1  # re-ranked by the chain


def test_a_key_correction_must_name_valid_choices(published, player, organiser, after_publication):
    item = wrong_item(published, player)
    appeal = services.appeal_create(
        rnd=published, user=player, kind="question", item=item, text="Sai", now=after_publication
    )
    choices = list(item.question.choices.values_list("pk", flat=True))
    for wrong in (set(), set(choices[:2]), {999999}):
        with pytest.raises(ValidationError):
            services.appeal_answer(
                appeal=appeal, by=organiser, accept=True, reason="x", resolution="rekey", correct_ids=wrong
            )
    assert item.question.choices.get(is_correct=True).text != "123456"
    assert not Correction.objects.exists()


def test_a_score_appeal_changes_points_by_the_given_amount(published, player, organiser, after_publication):
    appeal = services.appeal_create(rnd=published, user=player, kind="score", text="Thiếu điểm", now=after_publication)
    with pytest.raises(ValidationError, match="change of points"):
        services.appeal_answer(appeal=appeal, by=organiser, accept=True, reason="Ok", resolution="points")
    services.appeal_answer(
        appeal=appeal,
        by=organiser,
        accept=True,
        reason="Cộng nửa điểm.",
        resolution="points",
        points_change=Decimal("0.5"),
    )
    assert ResultRow.objects.get(user=player).total == Decimal("4.5")


def test_the_event_total_follows_with_the_round_weight(published, player, organiser, after_publication):
    from contests import services as contest_services
    from leaderboard import results

    event = published.event
    event.rounds.filter(pk=published.pk).update(weight=Decimal(2))
    published.refresh_from_db()
    contest_services.event_transition(event=event, to_state="closed", by=organiser)
    event.refresh_from_db()
    results.results_publish(event=event, by=organiser, prizes={"first": 1}, now=after_publication)
    appeal = services.appeal_create(rnd=published, user=player, kind="score", text="Thiếu điểm", now=after_publication)
    services.appeal_answer(
        appeal=appeal, by=organiser, accept=True, reason="Cộng 1.", resolution="points", points_change=Decimal(1)
    )
    event_row = ResultRow.objects.get(user=player, result_set__event=event)
    round_row = ResultRow.objects.get(user=player, result_set__round=published)
    assert (round_row.total, event_row.total) == (Decimal(5), Decimal(10))


def test_messages_are_rate_limited(published, player, after_publication):
    appeal = services.appeal_create(rnd=published, user=player, kind="score", text="Xem lại", now=after_publication)
    for index in range(services.MESSAGES_PER_HOUR):
        services.appeal_message_add(
            appeal=appeal, author=player, body=f"tin {index}", from_organiser=False, now=after_publication
        )
    with pytest.raises(services.AppealLimited):
        services.appeal_message_add(
            appeal=appeal, author=player, body="nữa", from_organiser=False, now=after_publication
        )


def test_the_appellant_is_notified_of_the_answer_once(published, player, organiser, after_publication):
    from notifications.models import Notification

    appeal = services.appeal_create(rnd=published, user=player, kind="score", text="Xem lại", now=after_publication)
    services.appeal_answer(appeal=appeal, by=organiser, accept=False, reason="Không đổi.")
    told = Notification.objects.get(user=player, kind="appeal_answered")
    assert told.key == f"appeal:{appeal.pk}:answer"
    assert told.url == f"/appeals/{appeal.pk}/"
    assert Notification.objects.filter(kind="appeal_answered").count() == 1


def test_single_text_constant_matches_the_sample_bank():
    assert SINGLE_TEXT == "Mật khẩu mạnh?"
