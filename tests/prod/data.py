"""Data set-up and checks for the production-topology tests, run inside the topology's own settings and
database through ``tests.servers.project_call`` (``manage.py shell``): the services create everything, as
the app does."""

from __future__ import annotations

import datetime as dt
import io

PASSWORD = "a-Strong-pass-123"
HOST_EMAIL = "prod-host@example.vn"
PLAYER_EMAIL = "prod-player@example.vn"


def _user(email: str):
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=email.split("@")[0], email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _participant():
    from contests import services
    from contests.models import Region

    user = _user(PLAYER_EMAIL)
    services.profile_update(
        profile=services.profile_get_or_create(user=user),
        data={
            "full_name": "Lê Văn Dân",
            "date_of_birth": dt.date(1990, 5, 1),
            "phone": "+84912399001",
            "region": Region.objects.get(code="TN-DT-01"),
            "category": "citizen",
        },
        data_consent=True,
        guardian_consent=False,
    )
    return user


def _bank(organisation, title="Ngân hàng (prod)"):
    """A public bank of three single-choice questions, the first with a picture."""
    from django.core.files.base import ContentFile
    from PIL import Image

    from quizzes import services
    from quizzes.importing.base import ParsedChoice, ParsedQuestion

    bank = services.bank_create(organisation=organisation, title=title, is_public=True)
    questions = [
        ParsedQuestion(
            where=str(i),
            type="single",
            text=f"Câu {i}?",
            choices=[ParsedChoice("Đúng", True), ParsedChoice("Sai", False)],
        )
        for i in range(3)
    ]
    services.questions_import(bank=bank, questions=questions)
    from quizzes.review import questions_approve_as_system

    questions_approve_as_system(questions=bank.questions.all(), comment="test data")
    first = bank.questions.order_by("pk").first()
    picture = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 200)).save(picture, format="PNG")
    first.image.save("prod-question.png", ContentFile(picture.getvalue()), save=True)
    return bank


def world() -> dict:
    """An open event with a quiz round and a reading round, a live session ready to host, its host and a
    participant who may take part; returns the ids the tests need."""
    from django.utils import timezone

    from contests import services as contest_services
    from contests.models import Event, Organisation
    from live import payloads
    from live import services as live
    from quizzes import services as quiz_services
    from submissions import services as reading_services

    organisation = Organisation.objects.create(name="Sở GD&ĐT (prod)", slug="so-prod")
    host = _user(HOST_EMAIL)
    contest_services.membership_add(user=host, organisation=organisation)
    player = _participant()
    bank = _bank(organisation)
    ids = list(bank.questions.order_by("pk").values_list("pk", flat=True))
    quiz = quiz_services.quiz_create(
        organisation=organisation,
        bank=bank,
        title="Đề (prod)",
        question_ids=ids,
        shuffle_questions=False,
        shuffle_choices=False,
    )
    now = timezone.now().replace(second=0, microsecond=0)
    window = {"opens_at": now - dt.timedelta(hours=1), "closes_at": now + dt.timedelta(days=7)}
    event = contest_services.event_create(
        organisation=organisation, by=host, fields={"title": "Cuộc thi (prod)", "kind": Event.Kind.CONTEST, **window}
    )
    quiz_rnd = contest_services.round_create(event=event, fields={"title": "Trắc nghiệm", "kind": "quiz", **window})
    quiz_services.quiz_round_configure(rnd=quiz_rnd, quiz=quiz, settings={"time_limit_s": 600, "feedback": "immediate"})
    reading_rnd = contest_services.round_create(event=event, fields={"title": "Đọc sách", "kind": "reading", **window})
    reading_services.reading_round_configure(
        rnd=reading_rnd, settings={"min_duration_s": 1, "max_duration_s": 30, "max_size_mb": 5, "min_video_lines": 120}
    )
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=host)
    session = live.session_create(quiz=quiz, host=host, question_time_s=30)
    right = {q.pk: q.choices.get(is_correct=True).pk for q in bank.questions.all()}
    right_tokens = [  # what a phone sends: the question's tokens in this game, never choice ids
        payloads.question_tokens(session, index, bank.questions.get(pk=qid).choices.values_list("pk", flat=True)).token(
            right[qid]
        )
        for index, qid in enumerate(session.question_ids)
    ]
    # A practice bank no contest uses: its pictures are public (the contest's stay private until its results).
    practice = _bank(organisation, title="Luyện tập (prod)")
    pictured = practice.questions.order_by("pk").first()
    return {
        "quiz_round": quiz_rnd.pk,
        "reading_round": reading_rnd.pk,
        "session": session.pk,
        "pin": session.pin,
        "right": right_tokens,
        "right_by_question": right,
        "image_question": pictured.pk,
        "image_name": pictured.image.name,
        "player": player.pk,
    }


def attempt_state(*, attempt_id: int) -> dict:
    from quizzes.choice_tokens import ChoiceTokens, attempt_scope
    from quizzes.models import Attempt

    attempt = Attempt.objects.get(pk=attempt_id)
    items = list(attempt.items.order_by("position"))
    tokens = ChoiceTokens(scope=attempt_scope(attempt), choice_ids=[cid for i in items for cid in i.choice_order])
    return {
        "status": attempt.status,
        "answered": sum(item.response is not None for item in items),
        "points": [str(item.points) for item in items],
        "questions": [item.question_id for item in items],
        "tokens": {str(cid): token for cid, token in tokens.by_id.items()},  # what the page names each choice
    }


def entry_files(*, entry_id: int) -> dict:
    """The stored names of the entry's latest version (media, poster, original)."""
    from submissions.models import Entry

    version = Entry.objects.get(pk=entry_id).versions.order_by("-number").first()
    return {
        "version": version.pk,
        "state": version.state,
        "media": version.media.name,
        "original": version.original.name,
    }
