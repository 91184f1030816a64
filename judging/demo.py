"""Demo part of the judging app: the demo contest's reading round (entries made by the submissions demo,
which runs first: INSTALLED_APPS lists ``submissions`` before ``judging``) gets a rubric, judge@demo.vn on
the (blind) panel with the entries assigned, and one entry already scored.

Idempotent: the rubric, panel and scores that exist are kept.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model

from contests.models import Event, Round
from submissions.models import EntryVersion, ReadingRound

from . import services as judging
from .models import Assignment, Criterion, JudgeScore

RUBRIC = [  # the highest total is 3 × 10 + 3 × 10 + 2 × 10 + 2 × 10 = 100
    ("Phát âm, lưu loát", "Đọc rõ ràng, đúng chính tả, không vấp; tốc độ vừa phải.", 10, 3),
    ("Diễn cảm, ngữ điệu", "Ngữ điệu phù hợp nội dung; ngắt nghỉ đúng chỗ; truyền được cảm xúc.", 10, 3),
    ("Trung thành với văn bản", "Đọc đúng đoạn đã chọn, không thêm bớt; giới thiệu tên sách và chương.", 10, 2),
    ("Trình bày", "Âm thanh, hình ảnh rõ; tác phong, trang phục phù hợp (với bài ghi hình).", 10, 2),
]
DEMO_MARKS = (8, "7.5", 9, 8)  # judge@demo.vn's submitted score of the video entry: 3×8 + 3×7.5 + 2×9 + 2×8 = 80.5


def _judging(reading_round: ReadingRound, now: dt.datetime) -> None:
    """A rubric, judge@demo.vn on the panel with every entry, one entry scored (only what is missing)."""
    if not Criterion.objects.filter(reading_round=reading_round).exists():
        judging.rubric_save(
            reading_round=reading_round,
            items=[
                {"name": name, "description": text, "max_points": high, "weight": weight}
                for name, text, high, weight in RUBRIC
            ],
        )
        judging.judging_configure(
            reading_round=reading_round,
            settings={"judges_per_entry": 1, "blind_judging": True, "disagreement_percent": 20},
        )
    judge_user = get_user_model().objects.filter(email="judge@demo.vn").first()
    organiser = get_user_model().objects.filter(email="organiser@demo.vn").first()
    if judge_user is None:
        return
    judging.judge_invite(reading_round=reading_round, email=judge_user.email, by=organiser, now=now)
    judging.assignments_fill(reading_round=reading_round, by=organiser, now=now)
    if JudgeScore.objects.filter(assignment__entry__reading_round=reading_round).exists():
        return
    video = Assignment.objects.filter(
        entry__reading_round=reading_round, entry__current__kind=EntryVersion.Kind.VIDEO, judge__user=judge_user
    ).first()
    if video is not None:
        criteria = list(Criterion.objects.filter(reading_round=reading_round).order_by("position"))
        judging.score_save(
            assignment=video,
            marks={c.pk: Decimal(str(v)) for c, v in zip(criteria, DEMO_MARKS, strict=False)},
            comment="Giọng đọc truyền cảm; phần giới thiệu chương hơi nhanh.",
            submit=True,
            now=now,
        )


def seed(*, stdout, now) -> None:
    contest = Event.objects.get(slug="cong-dan-so-2023")
    reading_round = ReadingRound.objects.filter(round__event=contest, round__kind=Round.Kind.READING).first()
    if reading_round is None:
        return
    _judging(reading_round, now)
    queue = f"/judging/rounds/{reading_round.round_id}/"
    stdout.write(f"reading round {reading_round.round_id}: judged blind by judge@demo.vn ({queue})")


# --- seed_demo --rich -------------------------------------------------------------------------------

AUDIO_MARKS = (9, 8, "9.5", 7)  # judge@demo.vn's score of the audio entry: 27 + 24 + 19 + 14 = 84


def seed_rich(*, stdout, now, people) -> None:
    """The demo's second (audio) entry scored by the judge too, so both entries show a judged total. Idempotent."""
    reading_round = ReadingRound.objects.filter(
        round__event__slug="cong-dan-so-2023", round__kind=Round.Kind.READING
    ).first()
    if reading_round is None:
        return
    judge_user = get_user_model().objects.filter(email="judge@demo.vn").first()
    audio = (
        Assignment.objects.filter(
            entry__reading_round=reading_round, entry__current__kind=EntryVersion.Kind.AUDIO, judge__user=judge_user
        )
        .exclude(score__submitted_at__isnull=False)
        .first()
    )
    if audio is not None:
        criteria = list(Criterion.objects.filter(reading_round=reading_round).order_by("position"))
        judging.score_save(
            assignment=audio,
            marks={c.pk: Decimal(str(v)) for c, v in zip(criteria, AUDIO_MARKS, strict=False)},
            comment="Đọc rõ ràng, ngắt nghỉ đúng chỗ; nên giới thiệu tên sách chậm hơn.",
            submit=True,
            now=now,
        )
    stdout.write(f"reading round {reading_round.round_id}: both entries judged")
