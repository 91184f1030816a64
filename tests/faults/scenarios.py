"""Data of the fault tests, made and read inside the project through its services (``tests.servers.project_call``
runs these functions in ``manage.py shell`` against the processes' database). Every function takes and
returns JSON-able values; only the constants are read by the test process."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path

from tests.sessions import signed_in_session

PASSWORD = "a-Strong-pass-123"
CSRF = "faultsCsrfToken0123456789abcdefg"  # 32 letters and digits: a valid unmasked CSRF secret


# --- People ------------------------------------------------------------------------------------


def _organiser():
    from contests import services as contest_services
    from contests.models import Organisation

    organisation, _created = Organisation.objects.get_or_create(slug="so-gd", defaults={"name": "Sở GD&ĐT"})
    user = _user("host@example.vn")
    contest_services.membership_add(user=user, organisation=organisation)
    return organisation, user


def _user(email: str):
    """The verified account of ``email`` (made once: scenarios may ask twice)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    existing = get_user_model().objects.filter(email=email).first()
    if existing is not None:
        return existing
    user = get_user_model().objects.create_user(username=email.split("@")[0], email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _participant(number: int):
    """A participant with a complete profile (eligible for every open round of the tests)."""
    from contests import services as contest_services
    from contests.models import Category, Region

    if not Region.objects.exists():
        from django.core.management import call_command

        call_command("load_regions", verbosity=0)
    user = _user(f"p{number}@example.vn")
    contest_services.profile_update(
        profile=contest_services.profile_get_or_create(user=user),
        data={
            "full_name": f"Người thi {number}",
            "date_of_birth": dt.date(1990, 1, 1),
            "phone": f"+8491300{number:04d}",
            "region": Region.objects.get(code="TN-DT-01"),
            "category": Category.CITIZEN,
            "guardian_name": "",
        },
        data_consent=True,
        guardian_consent=True,
    )
    return user


# --- Questions, events ---------------------------------------------------------------------------


def _quiz(organisation, count: int):
    """A fixed quiz of ``count`` single-choice questions (right answer first, no shuffling)."""
    from quizzes import services
    from quizzes.importing.base import ParsedChoice, ParsedQuestion

    bank = services.bank_create(organisation=organisation, title=f"Ngân hàng {organisation.pk}-{count}")
    questions = [
        ParsedQuestion(
            where=str(i),
            type="single",
            text=f"Câu {i}?",
            choices=[ParsedChoice("Đúng", True), ParsedChoice("Sai", False), ParsedChoice("Không biết", False)],
        )
        for i in range(count)
    ]
    services.questions_import(bank=bank, questions=questions)
    from quizzes.review import questions_approve_as_system

    questions_approve_as_system(questions=bank.questions.all(), comment="test data")
    ids = list(bank.questions.order_by("pk").values_list("pk", flat=True))
    quiz = services.quiz_create(
        organisation=organisation,
        bank=bank,
        title="Đề",
        question_ids=ids,
        shuffle_questions=False,
        shuffle_choices=False,
    )
    return quiz


def _right_and_wrong(question_id: int) -> dict:
    from quizzes.models import Choice

    choices = list(Choice.objects.filter(question_id=question_id).order_by("position", "pk"))
    right = next(c.pk for c in choices if c.is_correct)
    wrong, other = [c.pk for c in choices if c.pk != right][:2]
    return {"right": right, "wrong": wrong, "other": other}


def _open_event(organisation, by, *, kind: str, title: str):
    """An open event with one round of ``kind`` (window: yesterday to next week)."""
    from django.utils import timezone

    from contests import services as contest_services
    from contests.models import Event

    now = timezone.now()
    window = {"opens_at": now - dt.timedelta(days=1), "closes_at": now + dt.timedelta(days=7)}
    event = contest_services.event_create(
        organisation=organisation, by=by, fields={"title": title, "kind": Event.Kind.CONTEST, **window}
    )
    rnd = contest_services.round_create(event=event, fields={"title": "Vòng 1", "kind": kind, **window})
    return event, rnd


def _open(event, by) -> None:
    from contests import services as contest_services
    from contests.models import Event

    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=by)


# --- (a), (d) A live game ------------------------------------------------------------------------


def live_game(*, questions: int, question_time_s: int) -> dict:
    """A lobby of a live session of single-choice questions, with the host's session cookie."""
    from live import services as live

    organisation, host = _organiser()
    quiz = _quiz(organisation, questions)
    session = live.session_create(quiz=quiz, host=host, question_time_s=question_time_s)
    return {
        "session": session.pk,
        "pin": session.pin,
        "cookie": signed_in_session(host),
        "questions": [
            _as_tokens(live, session, index, _right_and_wrong(qid)) for index, qid in enumerate(session.question_ids)
        ],
    }


def _as_tokens(live, session, index: int, choices: dict) -> dict:
    """The right/wrong/other choices as a phone names them in this game (tokens, not ids)."""
    from live import payloads

    tokens = payloads.question_tokens(session, index, choices.values())
    return {name: tokens.token(choice_id) for name, choice_id in choices.items()}


def live_scores(*, session: int) -> dict:
    """Each player's stored score and number of answers, by nickname."""
    from live.models import LivePlayer

    players = LivePlayer.objects.filter(session_id=session)
    return {p.nickname: {"score": p.score, "answers": p.answers.count()} for p in players}


# --- (b) A timed quiz round ---------------------------------------------------------------------


def quiz_round(*, participants: int, questions: int, time_limit_s: int, grace_s: int) -> dict:
    """An open quiz round of a fixed quiz, and signed-in participants who have not started yet."""
    from quizzes import services

    organisation, organiser = _organiser()
    event, rnd = _open_event(organisation, organiser, kind="quiz", title="Cuộc thi trắc nghiệm")
    quiz = _quiz(organisation, questions)
    settings = {"time_limit_s": time_limit_s, "grace_s": grace_s, "feedback": "immediate"}
    services.quiz_round_configure(rnd=rnd, quiz=quiz, settings=settings)
    _open(event, organiser)
    people = [_participant(n) for n in range(participants)]
    question_ids = list(quiz.items.order_by("position").values_list("question_id", flat=True))
    return {
        "round": rnd.pk,
        "users": [{"id": user.pk, "cookie": signed_in_session(user)} for user in people],
        "questions": [_right_and_wrong(qid) for qid in question_ids],
    }


def attempts_stored(*, round_id: int) -> dict:
    """Every attempt of the round as stored: state, deadline, stored answers by position, score; and the
    leaderboard rows of the round."""
    from leaderboard.models import Score
    from quizzes.models import Attempt

    attempts = {}
    for attempt in Attempt.objects.filter(quiz_round__round_id=round_id).prefetch_related("items"):
        attempts[str(attempt.pk)] = {
            "user": attempt.user_id,
            "status": attempt.status,
            "closed_by": attempt.closed_by,
            "deadline": attempt.deadline.isoformat(),
            "score": str(attempt.score) if attempt.score is not None else None,
            "answers": {str(item.position): item.response for item in attempt.items.all()},
        }
    scores = {str(s.user_id): str(s.points) for s in Score.objects.filter(round_id=round_id)}
    return {"attempts": attempts, "scores": scores}


def attempt_tokens(*, attempt_id: int) -> dict:
    """The attempt's choice tokens by choice id: what its page shows and its autosave body carries."""
    from quizzes.choice_tokens import ChoiceTokens, attempt_scope
    from quizzes.models import Attempt

    attempt = Attempt.objects.get(pk=attempt_id)
    ids = [cid for order in attempt.items.values_list("choice_order", flat=True) for cid in order]
    return {str(cid): token for cid, token in ChoiceTokens(scope=attempt_scope(attempt), choice_ids=ids).by_id.items()}


# --- (c) Read-aloud entries and the worker ---------------------------------------------------------


def _upload(path: Path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/octet-stream")


def _corrupt_recording(folder: Path) -> Path:
    """An M4A whose middle is overwritten with noise: the probe (first frames, packet span) accepts it, the
    full decode in the job fails part-way — the damaged upload that only processing can reveal."""
    from submissions import synth

    path = Path(synth.audio_file(folder / "damaged.m4a", fmt="m4a", seconds=10, speech=True))
    data = bytearray(path.read_bytes())
    start, end = len(data) // 2, len(data) * 4 // 5
    data[start:end] = random.Random(9).randbytes(end - start)
    path.write_bytes(bytes(data))
    return path


def reading_entries(*, video_seconds: int) -> dict:
    """An open reading round and two queued entries: a video long enough to be killed mid-transcode, then a
    damaged recording. Their jobs wait in the queue (no worker runs here)."""
    from submissions import services, synth

    organisation, organiser = _organiser()
    event, rnd = _open_event(organisation, organiser, kind="reading", title="Cuộc thi đọc")
    settings = {"min_duration_s": 1, "max_duration_s": 120, "max_size_mb": 50, "entries_per_participant": 2}
    reading_round = services.reading_round_configure(rnd=rnd, settings=settings)
    _open(event, organiser)
    reader = _participant(1)
    versions = {}
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        video = Path(synth.video_file(folder / "reading.mp4", fmt="mp4", seconds=video_seconds, size=(640, 480)))
        for name, path in (("video", video), ("damaged", _corrupt_recording(folder))):
            entry = services.entry_create(
                reading_round=reading_round,
                user=reader,
                fields={"title": f"Bài đọc {name}", "note": "", "consent_publish": True},
                upload=_upload(path),
                source="uploaded",
            )
            versions[name] = entry.versions.get().pk
    return versions


def versions_stored(*, ids: list[int]) -> dict:
    """What became of each version: state, reason, attempts, its jobs' statuses, whether the web file exists."""
    from django_tasks_db.models import DBTaskResult

    from submissions.models import EntryVersion

    found = {}
    for version in EntryVersion.objects.filter(pk__in=ids).select_related("entry"):
        jobs = [
            job
            for job in DBTaskResult.objects.filter(task_path="submissions.tasks.process_entry_version")
            if job.args_kwargs["args"] == [version.pk]
        ]
        found[str(version.pk)] = {
            "state": version.state,
            "reason_code": version.reason_code,
            "reason": version.reason,
            "attempts": version.attempts,
            "current": version.entry.current_id == version.pk,
            "media": bool(version.media) and version.media.storage.exists(version.media.name),
            "jobs": sorted(job.status for job in jobs),
        }
    return found


def versions_sweep(*, later_s: float) -> int:
    """The sweep of ``sweep_entries`` as it will run ``later_s`` seconds from now (a lease ran out meanwhile)."""
    from django.utils import timezone

    from submissions.services import versions_sweep as sweep

    return sweep(now=timezone.now() + dt.timedelta(seconds=later_s))


# --- (e) Races ----------------------------------------------------------------------------------


RUBRIC = [
    {"name": "Phát âm", "description": "", "max_points": 10, "weight": 3},
    {"name": "Diễn cảm", "description": "", "max_points": 10, "weight": 2},
]


def races() -> dict:
    """One of each thing that must be recorded once: an active quiz attempt (two answers saved), an entry in
    the public gallery with voting open and a voter, and a judge's assignment for that entry."""
    return {**_attempt_to_submit(), **_entry_to_vote_and_judge()}


def _attempt_to_submit() -> dict:
    from quizzes import services

    organisation, organiser = _organiser()
    event, rnd = _open_event(organisation, organiser, kind="quiz", title="Cuộc thi trắc nghiệm")
    quiz = _quiz(organisation, 3)
    services.quiz_round_configure(rnd=rnd, quiz=quiz, settings={"time_limit_s": 600, "attempts_allowed": 3})
    _open(event, organiser)
    player = _participant(2)
    attempt = services.attempt_start(quiz_round=rnd.quiz_settings, user=player)
    for item in attempt.items.order_by("position")[:2]:
        right = _right_and_wrong(item.question_id)["right"]
        services.attempt_answer(attempt_id=attempt.pk, user=player, position=item.position, response=right)
    return {"attempt": attempt.pk, "quiz_round": rnd.pk, "player": signed_in_session(player)}


def _entry_to_vote_and_judge() -> dict:
    from django.utils import timezone

    from judging import services as judging
    from submissions import services, synth

    organisation, organiser = _organiser()
    event, rnd = _open_event(organisation, organiser, kind="reading", title="Cuộc thi đọc")
    now = timezone.now()
    settings = {
        "min_duration_s": 1,
        "max_duration_s": 60,
        "voting_enabled": True,
        "voting_opens_at": now - dt.timedelta(hours=1),
        "voting_closes_at": now + dt.timedelta(days=1),
    }
    reading_round = services.reading_round_configure(rnd=rnd, settings=settings)
    judging.rubric_save(reading_round=reading_round, items=[dict(item) for item in RUBRIC])
    _open(event, organiser)
    reader = _participant(3)
    with tempfile.TemporaryDirectory() as work:
        recording = Path(synth.audio_file(Path(work) / "doc.m4a", fmt="m4a", seconds=3, speech=True))
        entry = services.entry_create(
            reading_round=reading_round,
            user=reader,
            fields={"title": "Bài đọc", "note": "", "consent_publish": True},
            upload=_upload(recording),
            source="uploaded",
        )
    services.version_process(version_id=entry.versions.get().pk)
    services.entries_moderate(entries=[entry], action="approve", by=organiser)
    judge_user = _user("judge@example.vn")
    judge = judging.judge_invite(reading_round=reading_round, email=judge_user.email, by=organiser)
    assignment = judging.assignment_add(entry=entry, judge=judge, by=organiser)
    criteria = list(reading_round.criteria.order_by("position").values_list("pk", flat=True))
    return {
        "entry": entry.pk,
        "voter": signed_in_session(_participant(4)),
        "assignment": assignment.pk,
        "judge": signed_in_session(judge_user),
        "criteria": criteria,
    }


def race_records(*, attempt: int, entry: int, assignment: int) -> dict:
    """How many records each race left, and what they hold."""
    from judging.models import CriterionMark, JudgeScore
    from leaderboard.models import Score
    from quizzes.models import Attempt
    from submissions.models import Vote

    submitted = Attempt.objects.select_related("quiz_round").get(pk=attempt)
    scores = JudgeScore.objects.filter(assignment_id=assignment)
    return {
        "attempts": Attempt.objects.filter(quiz_round=submitted.quiz_round, user=submitted.user).count(),
        "attempt_status": submitted.status,
        "attempt_score": str(submitted.score),
        "leaderboard_rows": list(
            Score.objects.filter(round_id=submitted.quiz_round.round_id, user=submitted.user).values_list(
                "points", "attempts_used"
            )
        ),
        "votes": Vote.objects.filter(entry_id=entry).count(),
        "judge_scores": [(str(s.total), s.submitted_at is not None) for s in scores],
        "marks": CriterionMark.objects.filter(score__assignment_id=assignment).count(),
    }
