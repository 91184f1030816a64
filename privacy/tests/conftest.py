"""Fixtures of the "My data" tests: a participant with something in every section, made through the
services of each app (the quiz and forum fixtures are those apps' own)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contests import services as contest_services
from contests.models import Event
from forums import services as forum_services
from forums.tests.conftest import make_forum  # noqa: F401 - fixtures shared with the forums tests
from leaderboard import results
from quizzes import services as quiz_services
from quizzes.tests.conftest import (  # noqa: F401 - fixtures shared with the quizzes tests
    _fresh_close_slots,
    bank,
    make_quiz_round,
    publish_round_results,
    quiz,
    quiz_round,
    right_answers,
)
from submissions import services as submission_services
from submissions import synth
from submissions.tests.conftest import TEST_SETTINGS


@pytest.fixture(scope="session")
def recording(tmp_path_factory) -> Path:
    return Path(synth.audio_file(tmp_path_factory.mktemp("privacy") / "doc.wav", fmt="wav", seconds=2))


@pytest.fixture
def person(make_user, complete_profile):
    profile = {**complete_profile("+84912000777"), "full_name": "Trần Thị Riêng Tư"}
    return make_user("rieng@example.vn", profile=profile)


@pytest.fixture
def rival(make_user, complete_profile):
    return make_user("rival@example.vn", profile={**complete_profile("+84912000778"), "full_name": "Lê Văn Khác"})


@pytest.fixture
def history(person, rival, quiz_round, make_forum, organisation, organiser, recording, now):  # noqa: F811 - fixtures imported above
    """``person`` took a quiz round (published, with a certificate), sent a reading entry with its
    recording, and wrote in a forum; ``rival`` took the same round."""
    for user in (rival, person):
        attempt = quiz_services.attempt_start(quiz_round=quiz_round, user=user)
        for position, response in right_answers(attempt).items():
            if user == person or position == 0:
                quiz_services.attempt_answer(attempt_id=attempt.pk, user=user, position=position, response=response)
        quiz_services.attempt_submit(attempt_id=attempt.pk, user=user)
    result_set = publish_round_results(quiz_round)
    results.certificates_issue(result_set=result_set, participation=True)

    event = contest_services.event_create(
        organisation=organisation,
        by=organiser,
        fields={
            "title": "Cuộc thi đọc",
            "kind": Event.Kind.CONTEST,
            "opens_at": now - dt.timedelta(days=1),
            "closes_at": now + dt.timedelta(days=7),
        },
    )
    rnd = contest_services.round_create(
        event=event,
        fields={"title": "Vòng đọc", "kind": "reading", "opens_at": event.opens_at, "closes_at": event.closes_at},
    )
    reading_round = submission_services.reading_round_configure(rnd=rnd, settings=TEST_SETTINGS)
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=organiser)
    entry = submission_services.entry_create(
        reading_round=reading_round,
        user=person,
        fields={"title": "Bài đọc của Riêng Tư", "note": "Đọc cùng em Nguyễn Văn Nhỏ", "consent_publish": True},
        upload=SimpleUploadedFile("doc.wav", recording.read_bytes()),
        source="uploaded",
    )

    forum = make_forum()
    topic = forum_services.topic_create(event=forum, author=person, title="Câu hỏi của tôi", body="Nội dung bài viết")
    return {"result_set": result_set, "entry": entry, "topic": topic, "questions": attempt.items.count()}
