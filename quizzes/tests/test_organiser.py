import datetime as dt
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from contests.models import Profile
from quizzes import services
from quizzes.importing.excel import template_workbook
from quizzes.models import Accommodation, Question, QuestionBank, Quiz, QuizRound

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "participant", "judge", "other_organiser", "organiser", "admin_user"]


@pytest.fixture
def actors(request):
    return {role: None if role == "anonymous" else request.getfixturevalue(role) for role in ROLES}


def urls(bank, quiz, quiz_round):
    question = bank.questions.first()
    event = quiz_round.round.event
    return [
        reverse("organiser_bank", args=[bank.pk]),
        reverse("organiser_bank_import", args=[bank.pk]),
        reverse("organiser_bank_export", args=[bank.pk]),
        reverse("organiser_question_create", args=[bank.pk]),
        reverse("organiser_question", args=[question.pk]),
        reverse("organiser_quiz", args=[quiz.pk]),
        reverse("organiser_quiz_round", args=[quiz_round.round_id]),
        reverse("organiser_weekly_series", args=[event.pk]),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_quiz_organiser_pages_answer_only_the_banks_organisers(client, actors, bank, quiz, quiz_round, role):
    if actors[role] is not None:
        client.force_login(actors[role])
    for url in urls(bank, quiz, quiz_round):
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302, url
        elif role in ("organiser", "admin_user"):
            assert response.status_code == 200, url
        else:
            assert response.status_code == 404, url


@pytest.mark.parametrize("role", ["participant", "judge", "other_organiser"])
def test_outsiders_cannot_write(client, actors, bank, quiz, quiz_round, role):
    client.force_login(actors[role])
    question = bank.questions.first()
    before = (question.text, bank.questions.count(), quiz_round.time_limit_s)
    client.post(reverse("organiser_question_delete", args=[question.pk]))
    client.post(
        reverse("organiser_quiz_round", args=[quiz_round.round_id]),
        {"quiz": quiz.pk, "time_limit_minutes": 1, "attempts_allowed": 9},
    )
    client.post(
        reverse("organiser_accommodation_grant", args=[quiz_round.round_id]),
        {"participant": "player@example.vn", "extra_attempts": 5, "extra_time_percent": 0, "reason": "x"},
    )
    quiz_round.refresh_from_db()
    assert (Question.objects.get(pk=question.pk).text, bank.questions.count(), quiz_round.time_limit_s) == before
    assert not Accommodation.objects.exists()


def test_import_previews_then_imports_the_template(client, organiser, bank):
    client.force_login(organiser)
    url = reverse("organiser_bank_import", args=[bank.pk])
    before = bank.questions.count()
    upload = BytesIO(template_workbook())
    upload.name = "mau.xlsx"
    response = client.post(url, {"file": upload})
    assert response.context["questions"] and not response.context["has_errors"]
    assert bank.questions.count() == before, "the preview imports nothing"
    client.post(url, {"confirm": "1"})
    assert bank.questions.count() == before + len(response.context["questions"])


def test_import_with_an_error_names_the_row_and_imports_nothing(client, organiser, bank):
    workbook = load_workbook(BytesIO(template_workbook()))
    sheet = workbook.worksheets[0]
    headers = [str(c.value or "").lower() for c in sheet[1]]
    correct_col = next(i for i, h in enumerate(headers, 1) if "đúng" in h or "correct" in h)
    sheet.cell(row=2, column=correct_col, value="")
    out = BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "broken.xlsx"
    client.force_login(organiser)
    before = bank.questions.count()
    response = client.post(reverse("organiser_bank_import", args=[bank.pk]), {"file": out})
    assert response.context["has_errors"]
    assert "row 2" in response.content.decode() or "dòng 2" in response.content.decode()
    client.post(reverse("organiser_bank_import", args=[bank.pk]), {"confirm": "1"})
    assert bank.questions.count() == before


def test_export_round_trips_through_the_importer(client, organiser, bank):
    from quizzes.importing.detect import parse_questions

    client.force_login(organiser)
    response = client.get(reverse("organiser_bank_export", args=[bank.pk]))
    _format, parsed = parse_questions(response.content, "export.xlsx")
    assert len(parsed) == bank.questions.count() and not any(q.errors for q in parsed)


def _question_post(**overrides):
    data = {
        "type": "single",
        "text": "Câu hỏi mới?",
        "topic": "An toàn",
        "difficulty": "2",
        "points": "1",
        "explanation": "Vì vậy.",
        "resource_url": "",
        "resource_title": "",
        "time_limit_s": "",
        "choices-TOTAL_FORMS": "6",
        "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "6",
        "choices-MAX_NUM_FORMS": "10",
    }
    for i in range(6):
        data[f"choices-{i}-text"] = ""
    data.update({"choices-0-text": "Đúng rồi", "choices-0-is_correct": "on", "choices-1-text": "Sai rồi"})
    data.update(overrides)
    return data


def test_question_editor_creates_a_valid_question(client, organiser, bank):
    client.force_login(organiser)
    response = client.post(reverse("organiser_question_create", args=[bank.pk]), _question_post())
    assert response.status_code == 302
    question = bank.questions.get(text="Câu hỏi mới?")
    assert list(question.choices.values_list("text", "is_correct")) == [("Đúng rồi", True), ("Sai rồi", False)]


def test_question_editor_refuses_a_question_without_a_right_answer(client, organiser, bank):
    client.force_login(organiser)
    response = client.post(
        reverse("organiser_question_create", args=[bank.pk]), _question_post(**{"choices-0-is_correct": ""})
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not bank.questions.filter(text="Câu hỏi mới?").exists()


def test_a_question_answered_in_an_attempt_keeps_its_choices(client, organiser, quiz_round, player, now):
    services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    question = quiz_round.quiz.items.get(question__type="single").question
    client.force_login(organiser)
    data = _question_post(text="Sửa lời", **{"choices-0-text": "Khác"})
    response = client.post(reverse("organiser_question", args=[question.pk]), data)
    assert response.status_code == 200
    question.refresh_from_db()
    assert question.text != "Sửa lời" and not question.choices.filter(text="Khác").exists()


def test_quiz_created_with_sampling_rules_through_the_view(client, organiser, bank):
    client.force_login(organiser)
    response = client.post(
        reverse("organiser_quiz_create"),
        {
            "title": "Rút thăm",
            "bank": bank.pk,
            "shuffle_questions": "on",
            "shuffle_choices": "on",
            "selection": "sampled",
            "rules-TOTAL_FORMS": "3",
            "rules-INITIAL_FORMS": "0",
            "rules-0-topic": "Lừa đảo",
            "rules-0-difficulty": "",
            "rules-0-count": "2",
            "rules-1-topic": "",
            "rules-1-count": "",
            "rules-2-topic": "",
            "rules-2-count": "",
        },
    )
    quiz = Quiz.objects.get(title="Rút thăm")
    assert response.status_code == 302 and quiz.selection == "sampled"
    assert list(quiz.rules.values_list("topic", "count")) == [("Lừa đảo", 2)]


def test_quiz_round_settings_and_accommodation_through_the_views(client, organiser, quiz, make_event, player):
    event = make_event(rounds=1)
    rnd = event.rounds.get()
    client.force_login(organiser)
    response = client.post(
        reverse("organiser_quiz_round", args=[rnd.pk]),
        {
            "quiz": quiz.pk,
            "time_limit_minutes": "20",
            "attempts_allowed": "3",
            "counting": "last",
            "feedback": "immediate",
            "prediction_prompt": "",
            "time_tiebreak": "submitted_at",
            "grace_s": "5",
        },
    )
    assert response.status_code == 302
    quiz_round = QuizRound.objects.get(round=rnd)
    assert (quiz_round.time_limit_s, quiz_round.attempts_allowed, quiz_round.counting) == (1200, 3, "last")
    Profile.objects.filter(user=player).update(organisation=event.organisation)  # on the organiser's roster
    client.post(
        reverse("organiser_accommodation_grant", args=[rnd.pk]),
        {"participant": "0912 000 111", "extra_time_percent": "25", "extra_attempts": "1", "reason": "Khiếm thị"},
    )
    grant = Accommodation.objects.get()
    assert (grant.user, grant.extra_time_percent, grant.granted_by) == (player, 25, organiser)


def test_weekly_series_through_the_view(client, organiser, quiz, make_event, now):
    event = make_event(rounds=0, closes_at=now + dt.timedelta(weeks=6))
    client.force_login(organiser)
    first = timezone.localtime(now + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("organiser_weekly_series", args=[event.pk]),
        {
            "title_pattern": "Tuần {n}",
            "first_opens_at": first,
            "open_hours": "167",
            "weeks": "4",
            "weight": "1",
            "quiz": quiz.pk,
            "time_limit_minutes": "15",
            "attempts_allowed": "1",
            "counting": "best",
            "feedback": "after_close",
            "prediction_prompt": "",
            "time_tiebreak": "time_used",
            "grace_s": "5",
        },
    )
    assert response.status_code == 302
    assert list(event.rounds.values_list("title", flat=True)) == ["Tuần 1", "Tuần 2", "Tuần 3", "Tuần 4"]
    assert QuizRound.objects.filter(round__event=event).count() == 4


def test_bank_created_from_the_banks_page(client, organiser, organisation):
    client.force_login(organiser)
    client.post(reverse("organiser_banks"), {"title": "Ngân hàng mới", "description": "", "is_public": "on"})
    assert QuestionBank.objects.get(title="Ngân hàng mới").organisation == organisation


def test_bank_edited_through_the_service_and_a_blank_title_changes_nothing(client, organiser, bank):
    client.force_login(organiser)
    url = reverse("organiser_bank", args=[bank.pk])
    response = client.post(url, {"title": "Ngân hàng đổi tên", "description": "Mô tả", "is_public": "on"})
    assert response.status_code == 302
    bank.refresh_from_db()
    assert (bank.title, bank.description, bank.is_public) == ("Ngân hàng đổi tên", "Mô tả", True)
    response = client.post(url, {"title": "", "description": "x"})
    assert response.status_code == 200
    bank.refresh_from_db()
    assert (bank.title, bank.description, bank.is_public) == ("Ngân hàng đổi tên", "Mô tả", True)
