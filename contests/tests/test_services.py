import datetime as dt
import json
from io import BytesIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from PIL import Image

from contests import services
from contests.models import ConsentEvent, Event, EventTransition, Organisation, Profile, Region, Round
from contests.phones import normalise_phone

pytestmark = pytest.mark.django_db


# --- Phones and profiles ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["0912345678", "0912 345 678", "+84 912 345 678", "+84912345678", "(091) 234-5678"])
def test_phone_numbers_written_any_way_normalise_to_one_e164(raw):
    assert normalise_phone(raw) == "+84912345678"


@pytest.mark.parametrize("raw", ["", "12", "hello", "091234", "+84 000 000 000"])
def test_invalid_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        normalise_phone(raw)


def test_phone_is_unique_per_account_in_the_database(make_user):
    first, second = make_user("a@example.vn"), make_user("b@example.vn")
    Profile.objects.create(user=first, phone="+84912345678")
    with pytest.raises(IntegrityError):
        Profile.objects.create(user=second, phone="+84912345678")


def test_profile_update_stamps_consent_once_and_clears_it_on_withdrawal(make_user, complete_profile, now):
    profile = services.profile_get_or_create(user=make_user("a@example.vn"))
    services.profile_update(
        profile=profile, data=complete_profile("+84912345678"), data_consent=True, guardian_consent=False, now=now
    )
    assert profile.data_consent_at == now and profile.is_complete
    services.profile_update(
        profile=profile, data={}, data_consent=True, guardian_consent=False, now=now + dt.timedelta(days=3)
    )
    assert profile.data_consent_at == now, "re-saving keeps the time consent was first given"
    services.profile_update(profile=profile, data={}, data_consent=False, guardian_consent=False)
    assert profile.data_consent_at is None and not profile.is_complete


def test_every_consent_change_of_the_profile_goes_into_the_history_with_who_recorded_it(
    make_user, complete_profile, now
):
    user = make_user("a@example.vn")
    profile = services.profile_get_or_create(user=user)
    data = complete_profile("+84912345678", born=now.date().replace(year=now.year - 12))
    services.profile_update(profile=profile, data=data, data_consent=True, guardian_consent=True, now=now)
    services.profile_update(profile=profile, data={}, data_consent=True, guardian_consent=True, now=now)
    later = now + dt.timedelta(hours=1)
    services.profile_update(profile=profile, data={"date_of_birth": dt.date(1990, 1, 1)}, data_consent=False,
                            guardian_consent=True, now=later)  # fmt: skip
    events = [(e.kind, e.action, e.at, e.recorded_by) for e in ConsentEvent.objects.filter(user=user)]
    assert events == [
        ("data", "given", now, user),
        ("guardian", "given", now, user),
        ("data", "withdrawn", later, user),
        ("guardian", "withdrawn", later, user),
    ], "re-saving records nothing; an adult's guardian consent ends with the withdrawal of the data consent"


def test_a_profile_saved_from_a_stale_page_sees_a_withdrawal_made_meanwhile(make_user, complete_profile, now):
    user = make_user("a@example.vn", profile=complete_profile("+84912345678"))
    stale = Profile.objects.get(user=user)
    services.consent_change(profile=Profile.objects.get(user=user), kind="data", given=False, by=user, now=now)
    services.profile_update(profile=stale, data={}, data_consent=True, guardian_consent=False, now=now)
    assert [e.action for e in ConsentEvent.objects.filter(user=user).order_by("pk")] == ["given", "withdrawn", "given"]
    assert Profile.objects.get(user=user).data_consent_at == now, "given again, at the time of the new tick"


def test_minor_needs_guardian_consent_to_be_complete(make_user, complete_profile, now):
    born = now.date().replace(year=now.year - 12)
    profile = services.profile_get_or_create(user=make_user("kid@example.vn"))
    services.profile_update(
        profile=profile, data=complete_profile("+84912345670", born=born), data_consent=True, guardian_consent=False
    )
    assert profile.is_minor and not profile.is_complete
    services.profile_update(profile=profile, data={}, data_consent=True, guardian_consent=True, now=now)
    assert profile.guardian_consent_at == now and profile.is_complete


def test_adult_profile_drops_guardian_fields(make_user, complete_profile):
    profile = services.profile_get_or_create(user=make_user("a@example.vn"))
    data = {**complete_profile("+84912345678"), "guardian_name": "Someone"}
    services.profile_update(profile=profile, data=data, data_consent=True, guardian_consent=True)
    assert profile.guardian_consent_at is None and profile.guardian_name == ""


def test_age_is_counted_in_whole_years_up_to_the_birthday():
    profile = Profile(date_of_birth=dt.date(2008, 10, 2))
    assert profile.age_on(dt.date(2026, 10, 1)) == 17
    assert profile.age_on(dt.date(2026, 10, 2)) == 18


@pytest.mark.parametrize(("choice", "shown"), [("full", "Phạm Văn An"), ("initials", "P. V. A.")])
def test_public_name_follows_the_participants_choice(make_user, choice, shown):
    profile = Profile(user=make_user("an@example.vn"), full_name="Phạm Văn An", public_name=choice)
    assert profile.display_name == shown


# --- Events and their lifecycle ------------------------------------------------------------------


def test_event_create_makes_a_draft_with_a_unique_slug(make_event):
    first, second = make_event(title="Tuần lễ học tập"), make_event(title="Tuần lễ học tập")
    assert first.state == Event.State.DRAFT
    assert first.slug == "tuan-le-hoc-tap"
    assert second.slug.startswith("tuan-le-hoc-tap-") and second.slug != first.slug


def test_invite_only_event_gets_a_code(make_event):
    event = make_event(visibility=Event.Visibility.INVITE)
    assert len(event.invite_code) == 8


def test_event_must_close_after_it_opens(organisation, organiser, now):
    with pytest.raises(ValidationError):
        services.event_create(
            organisation=organisation, by=organiser, fields={"title": "X", "opens_at": now, "closes_at": now}
        )
    assert not Event.objects.exists()


def _jpeg_with_exif() -> SimpleUploadedFile:
    image = Image.new("RGB", (3000, 1500), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x0112] = 1  # Orientation
    out = BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return SimpleUploadedFile("holiday.jpg", out.getvalue(), content_type="image/jpeg")


def test_banner_is_resized_and_stripped_of_exif(make_event):
    event = make_event()
    services.event_update(event=event, fields={}, banner=_jpeg_with_exif())
    with Image.open(event.banner.path) as stored:
        assert stored.size == (1200, 600)
        assert not stored.getexif()
    assert b"SecretCameraMaker" not in Path(event.banner.path).read_bytes()
    assert "holiday" not in event.banner.name, "stored under a generated name"


def test_banner_that_is_not_an_image_is_refused_and_nothing_changes(make_event):
    event = make_event(title="Before")
    fake = SimpleUploadedFile("banner.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    with pytest.raises(ValidationError):
        services.event_update(event=event, fields={"title": "After"}, banner=fake)
    event.refresh_from_db()
    assert event.title == "Before" and not event.banner


LEGAL = [("draft", "open"), ("open", "closed"), ("closed", "open"), ("closed", "results_published")]


@pytest.mark.parametrize(("start", "target"), LEGAL)
def test_legal_transitions_move_the_event_and_are_audited(make_event, organiser, start, target, now):
    event = make_event(state=start)
    services.event_transition(event=event, to_state=target, by=organiser, now=now)
    event.refresh_from_db()
    assert event.state == target
    last = EventTransition.objects.filter(event=event).latest("pk")
    assert (last.from_state, last.to_state, last.by, last.at) == (start, target, organiser, now)


ALL_STATES = [s.value for s in Event.State]
ILLEGAL = [(a, b) for a in ALL_STATES for b in ALL_STATES if (a, b) not in LEGAL]


@pytest.mark.parametrize(("start", "target"), ILLEGAL)
def test_illegal_transitions_are_refused_with_a_message_and_change_nothing(make_event, organiser, start, target):
    event = make_event(state=start)
    audit_rows = EventTransition.objects.count()
    with pytest.raises(services.TransitionError, match=r"\S"):
        services.event_transition(event=event, to_state=target, by=organiser)
    event.refresh_from_db()
    assert event.state == start
    assert EventTransition.objects.count() == audit_rows


def test_an_event_without_rounds_cannot_open(make_event, organiser):
    event = make_event(rounds=0)
    with pytest.raises(services.TransitionError):
        services.event_transition(event=event, to_state="open", by=organiser)
    assert Event.objects.get(pk=event.pk).state == "draft"


def test_published_event_cannot_be_edited(make_event):
    event = make_event(state="results_published")
    with pytest.raises(ValidationError):
        services.event_update(event=event, fields={"title": "Changed"})
    with pytest.raises(ValidationError):
        services.round_create(
            event=event,
            fields={"title": "Late", "kind": "quiz", "opens_at": event.opens_at, "closes_at": event.closes_at},
        )


# --- Rounds ----------------------------------------------------------------------------------


def test_rounds_are_appended_in_order(make_event):
    event = make_event(rounds=3)
    assert list(event.rounds.values_list("position", "title")) == [(1, "Vòng 1"), (2, "Vòng 2"), (3, "Vòng 3")]


def test_round_window_must_lie_inside_the_event(make_event):
    event = make_event(rounds=0)
    with pytest.raises(ValidationError):
        services.round_create(
            event=event,
            fields={
                "title": "Late",
                "kind": "live",
                "opens_at": event.opens_at,
                "closes_at": event.closes_at + dt.timedelta(hours=1),
            },
        )
    assert not event.rounds.exists()


def test_round_weight_cannot_be_negative(make_event):
    event = make_event(rounds=0)
    with pytest.raises(ValidationError):
        services.round_create(
            event=event,
            fields={
                "title": "R",
                "kind": "quiz",
                "opens_at": event.opens_at,
                "closes_at": event.closes_at,
                "weight": -1,
            },
        )


def test_round_move_swaps_neighbours_and_ignores_the_ends(make_event):
    event = make_event(rounds=3)
    first, _second, third = event.rounds.order_by("position")
    services.round_move(rnd=third, offset=-1)
    assert list(event.rounds.order_by("position").values_list("title", flat=True)) == ["Vòng 1", "Vòng 3", "Vòng 2"]
    services.round_move(rnd=Round.objects.get(pk=first.pk), offset=-1)
    assert Round.objects.get(pk=first.pk).position == 1


def test_round_delete_renumbers_and_is_refused_once_open(make_event, organiser):
    event = make_event(rounds=3)
    services.round_delete(rnd=event.rounds.get(position=2))
    assert list(event.rounds.values_list("position", "title")) == [(1, "Vòng 1"), (2, "Vòng 3")]
    services.event_transition(event=event, to_state="open", by=organiser)
    with pytest.raises(ValidationError):
        services.round_delete(rnd=event.rounds.first())
    assert event.rounds.count() == 2


# --- Regions -----------------------------------------------------------------------------------


def test_bundled_regions_have_the_nine_district_level_units_of_2023(regions):
    province = Region.objects.get(code="TN")
    assert province.children.count() == 9
    assert all(d.children.exists() for d in province.children.all())
    assert regions["TN-DT-01"].path == "Thị trấn Hùng Sơn, Huyện Đại Từ, Tỉnh Thái Nguyên"


def test_regions_load_is_idempotent_and_keeps_ids_on_rename(regions, tmp_path):
    data = json.loads(Path("contests/data/regions.json").read_text(encoding="utf-8"))
    before = dict(Region.objects.values_list("code", "pk"))
    data["regions"][0]["children"][0]["name"] = "Thành phố Thái Nguyên (mới)"
    services.regions_load(nodes=data["regions"])
    assert dict(Region.objects.values_list("code", "pk")) == before
    assert Region.objects.get(code="TN-TPTN").name == "Thành phố Thái Nguyên (mới)"


# --- Unit roster -------------------------------------------------------------------------------


def test_roster_import_creates_then_updates_units_by_code(organisation, regions):
    from contests.roster import RosterRow

    rows = [RosterRow(line=2, code="A1", name="Trường A", group="THPT", headcount=900, region_code="TN-DT")]
    assert services.roster_import(organisation=organisation, rows=rows) == services.RosterResult(1, 0)
    rows[0].headcount = 950
    assert services.roster_import(organisation=organisation, rows=rows) == services.RosterResult(0, 1)
    unit = Organisation.objects.get(parent=organisation, code="A1")
    assert (unit.headcount, unit.group, unit.region.code) == (950, "THPT", "TN-DT")


def test_roster_with_any_error_imports_nothing(organisation):
    from contests.roster import RosterRow

    rows = [
        RosterRow(line=2, code="A1", name="Trường A", group="", headcount=10, region_code=""),
        RosterRow(line=3, code="", name="", group="", headcount=None, region_code="", errors=["no unit code"]),
    ]
    with pytest.raises(ValidationError):
        services.roster_import(organisation=organisation, rows=rows)
    assert not organisation.units.exists()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (dt.timedelta(seconds=2.9), "0:02"),
        (dt.timedelta(minutes=14, seconds=5), "14:05"),
        (dt.timedelta(hours=1, seconds=3), "1:00:03"),
        (90_500, "1:30"),
        (None, ""),
    ],
)
def test_duration_filter_reads_like_a_clock(value, shown):
    from contests.templatetags.contest_tags import duration

    assert duration(value) == shown
