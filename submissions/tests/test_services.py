"""Services of the submissions app: settings, entries and their rules, moderation, votes."""

import datetime as dt
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.utils import timezone

from contests import services as contest_services
from contests.models import Membership, Round
from submissions import selectors, services
from submissions.media_probe import MediaRejected
from submissions.models import Entry, EntryVersion, ReadingRound, Vote
from submissions.services import votes

pytestmark = pytest.mark.django_db


# --- Settings -----------------------------------------------------------------------------------------


def test_settings_belong_to_reading_rounds_only(make_event):
    quiz_round = make_event().rounds.get()
    with pytest.raises(ValidationError):
        services.reading_round_configure(rnd=quiz_round, settings={})


def test_deadline_defaults_to_the_round_close_and_must_lie_inside_it(reading_round, now):
    rnd = reading_round.round
    assert reading_round.deadline == rnd.closes_at
    early = rnd.closes_at - dt.timedelta(days=1)
    services.reading_round_configure(rnd=rnd, settings={"submission_deadline": early})
    assert ReadingRound.objects.get(pk=reading_round.pk).deadline == early
    with pytest.raises(ValidationError) as error:
        services.reading_round_configure(rnd=rnd, settings={"submission_deadline": rnd.closes_at + dt.timedelta(1)})
    assert "submission_deadline" in error.value.error_dict


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"min_duration_s": 60, "max_duration_s": 30}, "max_duration_s"),
        ({"voting_enabled": True}, "voting_opens_at"),
        ({"voting_enabled": True, "gallery_enabled": False}, "voting_enabled"),
        ({"vote_weight": Decimal("1.5")}, "vote_weight"),
    ],
)
def test_settings_that_make_no_sense_are_refused(reading_round, settings, field):
    with pytest.raises(ValidationError) as error:
        services.reading_round_configure(rnd=reading_round.round, settings=settings)
    assert field in error.value.error_dict


def test_judging_starts_after_the_deadline(reading_round, now):
    with pytest.raises(ValidationError) as error:
        services.reading_round_configure(rnd=reading_round.round, settings={"judging_opens_at": now})
    assert "judging_opens_at" in error.value.error_dict


# --- Entries ------------------------------------------------------------------------------------------


def test_entry_stores_the_file_under_a_generated_name_and_queues_processing(
    reading_round, reader, upload_of, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.entry_create(
            reading_round=reading_round,
            user=reader,
            fields={"title": "Chương 1", "note": "", "consent_publish": True},
            upload=upload_of(media["wav"], name="Nguyễn Văn A - bài đọc.wav"),
            source="uploaded",
        )
    version = entry.versions.get()
    assert version.state == "received" and version.kind == "audio" and version.job_id
    assert version.original.name == f"entries/{version.token}/original.wav"
    assert "Nguyễn" not in version.original.name and version.original_name == "Nguyễn Văn A - bài đọc.wav"


@pytest.mark.parametrize(
    ("sample", "code"),
    [("text", "not_media"), ("png", "not_media"), ("truncated", "not_media"), ("empty", "empty"), ("long", "too_long")],
)
def test_a_refused_file_changes_nothing(reading_round, reader, upload_of, media, sample, code):
    with pytest.raises(MediaRejected) as refused:
        services.entry_create(
            reading_round=reading_round,
            user=reader,
            fields={"title": "x", "consent_publish": False},
            upload=upload_of(media[sample], name="bai-doc.mp3"),
            source="uploaded",
        )
    assert refused.value.code == code
    assert not Entry.objects.exists() and not EntryVersion.objects.exists()


def test_oversized_file_is_refused(make_reading_round, reader, upload_of, media):
    reading_round = make_reading_round(max_size_mb=1)
    big = media["wav"].read_bytes() * 5  # 1.4 MB
    upload = upload_of(media["wav"])
    upload.file.write(big)
    upload.size = len(big)
    with pytest.raises(MediaRejected) as refused:
        services.media_accept(reading_round=reading_round, upload=upload)
    assert refused.value.code == "too_big" and refused.value.params == {"limit": 1}


def test_round_media_kind_is_enforced(make_reading_round, reader, upload_of, media):
    audio_only = make_reading_round(media="audio")
    with pytest.raises(MediaRejected) as refused:
        services.media_accept(reading_round=audio_only, upload=upload_of(media["video_webm"]))
    assert refused.value.code == "video_not_allowed"


@pytest.mark.parametrize(
    ("change", "message_part"),
    [
        ("deadline", "deadline"),
        ("draft", "not open"),
        ("member", "organising"),
        ("no_profile", "profile"),
    ],
)
def test_who_may_send(make_reading_round, reader, organisation, make_user, now, change, message_part):
    user = reader
    reading_round = make_reading_round(state="draft" if change == "draft" else "open")
    if change == "deadline":
        services.reading_round_configure(
            rnd=reading_round.round, settings={"submission_deadline": now - dt.timedelta(hours=1)}
        )
        reading_round.refresh_from_db()
    if change == "member":
        contest_services.membership_add(user=reader, organisation=organisation, role=Membership.Role.JUDGE)
    if change == "no_profile":
        user = make_user("nobody@example.vn")
    with translation_en():
        problems = services.entry_problems(reading_round=reading_round, user=user, now=now)
    assert problems and message_part in " ".join(problems).lower()


def translation_en():
    from django.utils import translation

    return translation.override("en")


def test_quota_of_entries_per_participant(make_reading_round, reader, make_entry):
    reading_round = make_reading_round(entries_per_participant=1)
    make_entry(reading_round, reader, process=False)
    with pytest.raises(services.EntryError):
        make_entry(reading_round, reader, process=False)
    assert services.quota_left(reading_round=reading_round, user=reader) == 0


def test_the_database_refuses_a_second_entry_with_the_same_number(reading_round, reader, make_entry):
    from django.db import IntegrityError, transaction

    entry = make_entry(reading_round, reader, process=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(
            reading_round=reading_round, user=reader, number=entry.number, title="dup", created_at=timezone.now()
        )


def test_after_the_deadline_only_consent_can_change(reading_round, reader, make_entry):
    entry = make_entry(reading_round, reader, process=False)
    after = reading_round.deadline + dt.timedelta(minutes=1)
    with pytest.raises(services.EntryError):
        services.entry_update(entry=entry, fields={"title": "Late change"}, now=after)
    services.entry_update(entry=entry, fields={"title": entry.title, "consent_publish": False}, now=after)
    entry.refresh_from_db()
    assert entry.consent_publish is False
    with pytest.raises(services.EntryError):
        services.entry_replace(entry=entry, upload=None, source="uploaded", now=after)


def test_group_round_stores_the_group(make_reading_round, reader, upload_of, media):
    reading_round = make_reading_round(entrants=ReadingRound.Entrants.GROUP)
    entry = services.entry_create(
        reading_round=reading_round,
        user=reader,
        fields={"title": "Nhóm đọc", "group_name": "Lớp 9A", "group_members": "An\nBình", "consent_publish": True},
        upload=upload_of(media["mp3"]),
        source="recorded",
    )
    assert entry.group_name == "Lớp 9A" and entry.versions.get().source == "recorded"


# --- Moderation ---------------------------------------------------------------------------------------


def test_moderation_actions(reading_round, reader, reader2, make_entry, organiser):
    ready = make_entry(reading_round, reader)
    waiting = make_entry(reading_round, reader2, process=False)
    assert services.entries_moderate(entries=[ready, waiting], action="approve", by=organiser) == 1
    ready.refresh_from_db()
    waiting.refresh_from_db()
    assert ready.moderation == "approved" and waiting.moderation == "pending", "nothing to play: not approved"
    with pytest.raises(ValidationError):
        services.entries_moderate(entries=[ready], action="reject", by=organiser, reason="  ")
    services.entries_moderate(entries=[ready], action="reject", by=organiser, reason="Không đúng đoạn văn")
    ready.refresh_from_db()
    assert (ready.moderation, ready.moderation_reason, ready.moderated_by) == (
        "rejected",
        "Không đúng đoạn văn",
        organiser,
    )


def test_gallery_shows_approved_entries_with_consent_only(reading_round, reader, reader2, make_entry, organiser):
    shown = make_entry(reading_round, reader, title="Shown")
    no_consent = make_entry(reading_round, reader2, title="No consent", consent=False)
    hidden = make_entry(reading_round, reader2, title="Hidden")
    make_entry(reading_round, reader, title="Pending")
    services.entries_moderate(entries=[shown, no_consent], action="approve", by=organiser)
    services.entries_moderate(entries=[hidden], action="hide", by=organiser)
    titles = [e.title for e in selectors.gallery_entries(reading_round=reading_round)]
    assert titles == ["Shown"]


# --- Votes --------------------------------------------------------------------------------------------


@pytest.fixture
def voting_round(reading_round, now):
    rnd = reading_round.round
    return services.reading_round_configure(
        rnd=rnd,
        settings={
            "voting_enabled": True,
            "voting_opens_at": now - dt.timedelta(hours=1),
            "voting_closes_at": now + dt.timedelta(days=1),
            "vote_weight": Decimal("0.3"),
        },
    )


@pytest.fixture
def voter(make_user):
    return make_user("voter@example.vn")


def test_a_vote_counts_once(voting_round, gallery_entry, voter):
    services.vote_cast(entry=gallery_entry, user=voter)
    with pytest.raises(services.VoteError):
        services.vote_cast(entry=gallery_entry, user=voter)
    assert Vote.objects.count() == 1
    assert selectors.vote_counts(reading_round=voting_round) == {gallery_entry.pk: 1}


@pytest.mark.parametrize("problem", ["unverified", "own", "closed", "not_open_yet", "hidden", "disabled"])
def test_votes_that_cannot_count(voting_round, gallery_entry, voter, reader, organiser, now, problem):
    user, when = voter, now
    if problem == "unverified":
        EmailAddress.objects.filter(user=voter).update(verified=False)
    if problem == "own":
        user = reader
    if problem == "closed":
        when = voting_round.voting_closes_at
    if problem == "not_open_yet":
        when = voting_round.voting_opens_at - dt.timedelta(seconds=1)
    if problem == "hidden":
        services.entries_moderate(entries=[gallery_entry], action="hide", by=organiser)
        gallery_entry.refresh_from_db()
    if problem == "disabled":
        services.reading_round_configure(rnd=voting_round.round, settings={"voting_enabled": False})
        gallery_entry.refresh_from_db()
    with pytest.raises(services.VoteError):
        services.vote_cast(entry=gallery_entry, user=user, now=when)
    assert not Vote.objects.exists()


def test_votes_are_rate_limited(voting_round, gallery_entry, make_user, monkeypatch):
    monkeypatch.setattr(votes, "VOTES_PER_MINUTE", 2)
    user = make_user("fast@example.vn")
    services.vote_cast(entry=gallery_entry, user=user)
    for _attempt in range(2):
        with pytest.raises(services.VoteError):
            services.vote_cast(entry=gallery_entry, user=user)
    with pytest.raises(services.VoteError) as refused:
        services.vote_cast(entry=gallery_entry, user=user)
    assert "minute" in str(refused.value) or "phút" in str(refused.value)


def test_totals_live_or_at_the_end(voting_round, now):
    assert voting_round.vote_totals == ReadingRound.VoteTotals.AT_END
    assert not voting_round.vote_totals_visible(now)
    assert voting_round.vote_totals_visible(voting_round.voting_closes_at)
    voting_round.vote_totals = ReadingRound.VoteTotals.LIVE
    assert voting_round.vote_totals_visible(now)


def test_public_label_follows_the_participant_s_preference(reader):
    profile = reader.profile
    assert selectors.public_label(reader) == "N. V. T."
    profile.public_name = "full"
    profile.save()
    assert selectors.public_label(reader).startswith("Test · ")


def test_round_kind_is_checked_by_the_participant_selector(make_event):
    from django.http import Http404

    rnd = make_event(state="open").rounds.get()
    assert rnd.kind == Round.Kind.QUIZ
    with pytest.raises(Http404):
        selectors.access_reading_round(round_id=rnd.pk)
