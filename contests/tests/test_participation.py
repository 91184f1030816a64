"""Who may score in a round (contests.participation): the people rule shared by quiz and live rounds."""

import pytest
from django.utils import timezone

from contests import services
from contests.participation import is_insider, round_participation_problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def reading_and_live_rounds(make_event):
    """One event with a reading round (a panel judges it) and a live round."""
    from submissions import services as submission_services

    event = make_event(rounds=0)
    window = {"opens_at": event.opens_at, "closes_at": event.closes_at}
    reading = services.round_create(event=event, fields={"title": "Đọc", "kind": "reading", **window})
    reading_round = submission_services.reading_round_configure(
        rnd=reading, settings={"min_duration_s": 1, "max_duration_s": 5, "max_size_mb": 2, "min_video_lines": 120}
    )
    live = services.round_create(event=event, fields={"title": "Trực tiếp", "kind": "live", **window})
    return reading_round, live


def test_a_panel_judge_of_any_round_of_the_event_does_not_score_in_its_live_round(
    reading_and_live_rounds, make_user, complete_profile
):
    from judging.models import RoundJudge

    reading_round, live = reading_and_live_rounds
    outside_judge = make_user("gk.ngoai@example.vn", profile=complete_profile("+84912000777"))
    citizen = make_user("dan@example.vn", profile=complete_profile("+84912000888"))
    now = timezone.now()
    assert round_participation_problems(rnd=live, user=outside_judge, now=now) == []
    RoundJudge.objects.create(reading_round=reading_round, user=outside_judge, created_at=now)
    assert is_insider(event=live.event, user=outside_judge)
    assert round_participation_problems(rnd=live, user=outside_judge, now=now)
    assert round_participation_problems(rnd=live, user=citizen, now=now) == []


def test_organisers_guests_and_incomplete_profiles_do_not_score(reading_and_live_rounds, organiser, make_user):
    from django.contrib.auth.models import AnonymousUser

    _reading, live = reading_and_live_rounds
    now = timezone.now()
    assert round_participation_problems(rnd=live, user=organiser, now=now)
    assert round_participation_problems(rnd=live, user=AnonymousUser(), now=now)
    assert round_participation_problems(rnd=live, user=make_user("chua.du@example.vn"), now=now)


def test_a_panel_judge_of_the_event_cannot_start_its_quiz_round(reading_and_live_rounds, make_user, complete_profile):
    """The quiz round's start check shares the people rule: a judge from outside the organisation is refused."""
    from judging.models import RoundJudge
    from quizzes import services as quiz_services
    from quizzes.tests.conftest import sample_questions

    reading_round, live = reading_and_live_rounds
    event = live.event
    bank = quiz_services.bank_create(organisation=event.organisation, title="Đề")
    quiz_services.questions_import(bank=bank, questions=sample_questions())
    from quizzes.review import questions_approve_as_system

    questions_approve_as_system(questions=bank.questions.all(), comment="test data")
    quiz = quiz_services.quiz_create(
        organisation=event.organisation,
        bank=bank,
        title="Đề",
        question_ids=list(bank.questions.values_list("pk", flat=True)),
    )
    window = {"opens_at": event.opens_at, "closes_at": event.closes_at}
    rnd = services.round_create(event=event, fields={"title": "Trắc nghiệm", "kind": "quiz", **window})
    quiz_round = quiz_services.quiz_round_configure(rnd=rnd, quiz=quiz, settings={})
    services.event_transition(event=event, to_state="open", by=event.created_by)
    quiz_round.refresh_from_db()
    judge = make_user("gk.tracnghiem@example.vn", profile=complete_profile("+84912000779"))
    now = timezone.now()
    assert quiz_services.attempt_start_problems(quiz_round=quiz_round, user=judge, now=now) == []
    RoundJudge.objects.create(reading_round=reading_round, user=judge, created_at=now)
    assert quiz_services.attempt_start_problems(quiz_round=quiz_round, user=judge, now=now)


def test_an_events_regions_are_read_once_and_an_edit_of_them_counts_at_once(
    make_event, regions, make_user, complete_profile, django_assert_num_queries
):
    """Every rules page and start asks which regions may take part: cached per event version, so a second
    ask costs no query, and an organiser's edit (``event_update``) is obeyed by the next ask."""
    from contests.selectors import event_region_ids

    event = make_event(rounds=1)
    services.event_update(event=event, fields={}, eligible_regions=[regions["TN-TPTN"]])
    rnd = event.rounds.get()
    outside = make_user("dinh.hoa@example.vn", profile=complete_profile("+84912000999", region="TN-DT-01"))
    now = timezone.now()
    assert round_participation_problems(rnd=rnd, user=outside, now=now), "Định Hóa is not in Thái Nguyên city"
    assert regions["TN-TPTN-01"].pk in event_region_ids(event), "a commune of an eligible district"
    with django_assert_num_queries(0):
        event_region_ids(event)
    services.event_update(event=event, fields={}, eligible_regions=[regions["TN-TPTN"], regions["TN-DT"]])
    event.refresh_from_db()
    assert round_participation_problems(rnd=rnd, user=outside, now=now) == []
