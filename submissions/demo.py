"""Demo part of the submissions app: the reading round of "cong-dan-so-2023" gets its settings and a few
entries with real (synthetic) recordings from the demo participants, processed, approved and voted on (the
judging app's demo then judges them).

Idempotent: settings and entries that exist are kept. Processing runs here,
synchronously, so that the gallery has playable entries as soon as ``make run`` starts; the queued jobs
then find nothing to do.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File

from contests.models import Event, Round

from . import services, synth
from .models import Entry, EntryVersion, ReadingRound

PASSAGE = """Đọc to **một đoạn từ 3 đến 10 phút** trong cuốn *Cẩm nang Công dân số* hoặc một tài liệu giáo dục mở
về kỹ năng số, rồi ghi âm hoặc ghi hình bài đọc của bạn.

Gợi ý các chương:
1. An toàn khi dùng mạng xã hội
2. Nhận diện tin giả và lừa đảo trực tuyến
3. Bảo vệ dữ liệu cá nhân

Đọc rõ ràng, đúng ngữ điệu; giới thiệu tên sách và chương trước khi đọc."""

ENTRIES = [
    # email, title, note, kind, seconds
    (
        "an@demo.vn",
        "Nhận diện tin giả – chương 2",
        "Tôi chọn chương này vì bố mẹ tôi từng suýt bị lừa qua tin nhắn giả mạo ngân hàng.",
        "video",
        12,
    ),
    (
        "binh@demo.vn",
        "An toàn trên mạng xã hội",
        "Bài đọc của em ở thư viện trường.",
        "audio",
        20,
    ),
]


def _settings(rnd: Round, now: dt.datetime) -> ReadingRound:
    existing = ReadingRound.objects.filter(round=rnd).first()
    if existing is not None:
        return existing
    return services.reading_round_configure(
        rnd=rnd,
        settings={
            "passage": PASSAGE,
            "book_title": "Cẩm nang Công dân số (tài liệu giáo dục mở)",
            "book_url": "https://www.oercommons.org/",
            "media": ReadingRound.Media.BOTH,
            "min_duration_s": 10,
            "max_duration_s": 600,
            "max_size_mb": 300,
            "min_video_lines": 240,
            "entries_per_participant": 2,
            "entrants": ReadingRound.Entrants.INDIVIDUAL,
            "gallery_enabled": True,
            "voting_enabled": True,
            "voting_opens_at": rnd.opens_at,
            "voting_closes_at": rnd.closes_at,
            "vote_weight": "0.20",
            "vote_totals": ReadingRound.VoteTotals.LIVE,
        },
    )


def _recording(folder: Path, kind: str, seconds: int, caption: str) -> Path:
    if kind == "video":
        return Path(
            synth.video_file(
                folder / "video.webm", seconds=seconds, size=(480, 270), fps=12, caption=caption, speech=True
            )
        )
    return Path(synth.audio_file(folder / "audio.webm", seconds=seconds, speech=True, amplitude=0.12))


def _entry(reading_round: ReadingRound, user, title: str, note: str, kind: str, seconds: int, now) -> Entry:
    with tempfile.TemporaryDirectory() as folder:
        path = _recording(Path(folder), kind, seconds, title)
        with path.open("rb") as handle:
            entry = services.entry_create(
                reading_round=reading_round,
                user=user,
                fields={"title": title, "note": note, "consent_publish": True},
                upload=File(handle, name=f"bai-doc.{path.suffix.lstrip('.')}"),
                source=EntryVersion.Source.RECORDED,
                now=now,
            )
    for version in entry.versions.all():
        services.version_process(version_id=version.pk)
    entry.refresh_from_db()
    return entry


def seed(*, stdout, now) -> None:
    contest = Event.objects.get(slug="cong-dan-so-2023")
    rnd = contest.rounds.filter(kind=Round.Kind.READING).first()
    if rnd is None:
        return
    reading_round = _settings(rnd, now)
    users = {user.email: user for user in get_user_model().objects.filter(email__in=[e[0] for e in ENTRIES])}
    organiser = get_user_model().objects.filter(email="organiser@demo.vn").first()
    created = []
    for email, title, note, kind, seconds in ENTRIES:
        user = users.get(email)
        if user is None or Entry.objects.filter(reading_round=reading_round, user=user).exists():
            continue
        created.append(_entry(reading_round, user, title, note, kind, seconds, now))
    if created:
        services.entries_moderate(entries=created, action="approve", by=organiser, now=now)
        an, binh = users.get("an@demo.vn"), users.get("binh@demo.vn")
        for entry in created:
            entry.refresh_from_db()
            voter = binh if entry.user == an else an
            if voter is not None:
                services.vote_cast(entry=entry, user=voter, now=now)
    stdout.write(f"reading round {rnd.pk}: {reading_round.entries.count()} entries")


# --- seed_demo --rich -------------------------------------------------------------------------------

RICH_VOTERS = 40


def seed_rich(*, stdout, now, people) -> None:
    """Simulated participants voting in the gallery (through the services: one vote per account and entry).
    Idempotent. The judge's scores of the demo entries are judging's part (judging/demo.py)."""
    from .models import Vote

    rnd = Round.objects.filter(event__slug="cong-dan-so-2023", kind=Round.Kind.READING).first()
    reading_round = ReadingRound.objects.filter(round=rnd).first() if rnd else None
    if reading_round is None:
        return
    entries = [e for e in reading_round.entries.all() if e.in_gallery]
    voted = set(Vote.objects.filter(entry__in=entries).values_list("entry_id", "user_id"))
    cast = 0
    for index, person in enumerate(people[:RICH_VOTERS]):
        for entry in entries[: 1 + index % 2]:
            if (entry.pk, person.pk) not in voted:
                services.vote_cast(entry=entry, user=person, now=now)
                cast += 1
    stdout.write(f"reading round {rnd.pk}: {cast} simulated votes")
