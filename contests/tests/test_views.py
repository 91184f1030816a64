import datetime as dt
from io import BytesIO

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook
from PIL import Image

from conftest import PASSWORD
from contests import services
from contests.models import Event, Organisation, Profile
from contests.roster import roster_template

pytestmark = pytest.mark.django_db


# --- Public pages -----------------------------------------------------------------------------


def test_home_lists_open_and_upcoming_public_events_by_kind(client, make_event, now):
    running = make_event(title="Running contest", state="open")
    upcoming = make_event(
        title="Upcoming forum",
        kind="forum",
        state="open",
        opens_at=now + dt.timedelta(days=2),
        closes_at=now + dt.timedelta(days=5),
    )
    draft = make_event(title="Secret draft")
    unlisted = make_event(title="Unlisted one", state="open", visibility="unlisted")
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert running.title in body and upcoming.title in body
    assert draft.title not in body and unlisted.title not in body
    sections = {kind: [e.title for e in events] for kind, _label, events, _total in response.context["sections"]}
    assert sections == {"contest": ["Running contest"], "playground": [], "forum": ["Upcoming forum"]}


def test_home_page_query_count_does_not_grow_with_events(client, make_event, django_assert_max_num_queries):
    for index in range(8):
        make_event(title=f"Event {index}", state="open", rounds=2)
    with django_assert_max_num_queries(6):
        client.get(reverse("home"))


def test_home_shows_a_page_of_each_kind_and_lists_the_rest_paged(client, make_event):
    from contests.views.public import HOME_PER_KIND, KIND_PAGE_SIZE

    for index in range(HOME_PER_KIND + 2):
        make_event(title=f"Contest {index:02d}", state="open")
    make_event(title="Lone forum", kind="forum", state="open")
    with translation.override("en"):
        body = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert body.count('class="event-card"') == HOME_PER_KIND + 1
    assert 'href="/?kind=contest"' in body and 'href="/?kind=forum"' not in body
    listing = client.get(reverse("home"), {"kind": "contest"})
    assert len(listing.context["page"].object_list) == min(HOME_PER_KIND + 2, KIND_PAGE_SIZE)
    assert listing.content.decode().count('class="event-card"') == HOME_PER_KIND + 2


def test_home_cards_are_cached_and_an_event_changed_through_the_services_shows_at_once(
    client, make_event, organiser, django_assert_max_num_queries
):
    events = [make_event(title=f"Event {index}", state="open", rounds=2) for index in range(5)]
    client.get(reverse("home"))
    with django_assert_max_num_queries(2):  # the listing's signature and the past events; no cards rebuilt
        assert "Event 3" in client.get(reverse("home")).content.decode()
    services.event_update(event=events[3], fields={"title": "Renamed event"})
    assert "Renamed event" in client.get(reverse("home")).content.decode()
    services.event_transition(event=events[4], to_state="closed", by=organiser)
    sections = client.get(reverse("home")).content.decode().split('id="section-past"')[0]
    assert "Event 4" not in sections


def test_event_page_shows_description_rules_and_rounds_with_windows(client, make_event):
    event = make_event(state="open", rounds=2, description="**Bold** intro", rules="1. One phone, one account")
    body = client.get(event.get_absolute_url()).content.decode()
    assert "<strong>Bold</strong>" in body and "One phone, one account" in body
    assert "Vòng 1" in body and "Vòng 2" in body
    assert timezone.localtime(event.rounds.first().opens_at).strftime("%H:%M %d/%m/%Y") in body


def test_event_markdown_is_sanitised(client, make_event):
    event = make_event(
        state="open", description="<script>alert(1)</script>[x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    )
    body = client.get(event.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in body and "javascript:" not in body and "onerror" not in body


def test_draft_event_page_exists_only_for_its_organisers(client, make_event, organiser, other_organiser):
    event = make_event()
    assert client.get(event.get_absolute_url()).status_code == 404
    client.force_login(other_organiser)
    assert client.get(event.get_absolute_url()).status_code == 404
    client.force_login(organiser)
    assert client.get(event.get_absolute_url()).status_code == 200


def test_invite_only_event_shows_content_after_the_right_code(client, make_event):
    event = make_event(state="open", visibility="invite", description="Hidden details")
    assert "Hidden details" not in client.get(event.get_absolute_url()).content.decode()
    response = client.post(reverse("event_unlock", args=[event.slug]), {"code": "WRONG"}, follow=True)
    assert "Hidden details" not in response.content.decode()
    client.post(reverse("event_unlock", args=[event.slug]), {"code": event.invite_code.lower()})
    assert "Hidden details" in client.get(event.get_absolute_url()).content.decode()


def _png_bytes() -> bytes:
    out = BytesIO()
    Image.new("RGB", (800, 300), (0, 120, 80)).save(out, format="PNG")
    return out.getvalue()


def test_banner_is_served_through_the_permission_checked_view(client, fetch_media, make_event, organiser):
    from django.core.files.uploadedfile import SimpleUploadedFile

    event = make_event(state="draft")
    services.event_update(event=event, fields={}, banner=SimpleUploadedFile("b.png", _png_bytes()))
    url = reverse("event_banner", args=[event.slug])
    assert client.get(url).status_code == 404, "a draft's banner is private"
    client.force_login(organiser)
    response = fetch_media(url)  # on S3: the bucket's answer at the signed URL
    assert response.status_code == 200
    assert response.body[:3] == b"\xff\xd8\xff"  # re-encoded as JPEG


def test_eligibility_is_explained_on_the_event_page(client, make_event, make_user, complete_profile):
    event = make_event(state="open", eligible_categories=["pupil"], min_age=10, max_age=18)
    user = make_user("adult@example.vn", profile=complete_profile("+84912345678"))
    client.force_login(user)
    problems = client.get(event.get_absolute_url()).context["eligibility_problems"]
    assert len(problems) == 2  # wrong category, too old


def test_event_open_to_a_district_admits_its_communes(client, make_event, make_user, complete_profile, regions):
    event = make_event(state="open")
    event.eligible_regions.set([regions["TN-DT"]])
    inside = make_user("in@example.vn", profile=complete_profile("+84912345671", region="TN-DT-02"))
    outside = make_user("out@example.vn", profile=complete_profile("+84912345672", region="TN-PL-01"))
    client.force_login(inside)
    assert client.get(event.get_absolute_url()).context["eligibility_problems"] == []
    client.force_login(outside)
    assert len(client.get(event.get_absolute_url()).context["eligibility_problems"]) == 1


# --- Sign-up, profile and consent ---------------------------------------------------------------


def _signup(client, email="moi@example.vn", phone="0987 654 321"):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "full_name": "  Trần   Thị Mới ",
            "phone": phone,
        },
    )


def test_signup_creates_an_unverified_account_with_profile_and_sends_a_confirmation(client):
    response = _signup(client)
    assert response.status_code == 302
    user = get_user_model().objects.get(email="moi@example.vn")
    assert user.profile.phone == "+84987654321" and user.profile.full_name == "Trần Thị Mới"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1 and "moi@example.vn" in mail.outbox[0].to


def test_signup_with_a_phone_already_used_is_refused_and_creates_nothing(client):
    _signup(client)
    client.logout()
    response = _signup(client, email="second@example.vn", phone="+84 98 765 43 21")
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert not get_user_model().objects.filter(email="second@example.vn").exists()


def test_signup_errors_are_in_vietnamese_by_default(client):
    response = _signup(client, phone="12")
    assert response["Content-Language"] == "vi"
    assert "0912 345 678" in response.context["form"].errors["phone"][0]


def _profile_post(regions, **overrides):
    data = {
        "full_name": "Phạm Văn An",
        "date_of_birth": "1995-01-15",
        "phone": "0912345678",
        "region": regions["TN-DT-01"].pk,
        "category": "citizen",
        "public_name": "initials",
        "data_consent": "on",
        "organisation": "",
        "organisation_name": "",
        "guardian_name": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_profile_completion_records_consent_time(client, participant, regions):
    client.force_login(participant)
    response = client.post(reverse("profile_edit"), _profile_post(regions))
    assert response.status_code == 302
    profile = Profile.objects.get(user=participant)
    assert profile.is_complete and profile.data_consent_at is not None


def test_profile_without_data_consent_is_refused_and_not_saved(client, participant, regions):
    client.force_login(participant)
    response = client.post(reverse("profile_edit"), _profile_post(regions, data_consent=None))
    assert "data_consent" in response.context["form"].errors
    assert Profile.objects.get(user=participant).full_name == ""


def test_minor_needs_guardian_name_and_consent(client, participant, regions):
    client.force_login(participant)
    born = timezone.localdate().replace(year=timezone.localdate().year - 12).isoformat()
    response = client.post(reverse("profile_edit"), _profile_post(regions, date_of_birth=born, category="pupil"))
    assert {"guardian_consent", "guardian_name"} <= set(response.context["form"].errors)
    assert (
        'id="guardian-box"' in response.content.decode()
        and 'id="guardian-box" data-adult-age="18" hidden' not in response.content.decode()
    )
    response = client.post(
        reverse("profile_edit"),
        _profile_post(
            regions, date_of_birth=born, category="pupil", guardian_name="Phạm Văn Bố", guardian_consent="on"
        ),
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=participant).guardian_consent_at is not None


def test_profile_refuses_a_phone_of_another_account(client, participant, make_user, complete_profile, regions):
    make_user("owner@example.vn", profile=complete_profile("+84912345678"))
    client.force_login(participant)
    response = client.post(reverse("profile_edit"), _profile_post(regions, phone="091 234 5678"))
    assert "phone" in response.context["form"].errors


def test_profile_page_needs_login(client):
    assert client.get(reverse("profile_edit")).status_code == 302


def test_login_is_rate_limited_by_allauth(client, participant, settings):
    for _attempt in range(5):
        client.post(reverse("account_login"), {"login": participant.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": participant.email, "password": PASSWORD})
    assert response.status_code == 429 or not response.wsgi_request.user.is_authenticated


# --- Language ---------------------------------------------------------------------------------


def test_vietnamese_by_default_even_for_an_english_browser_and_english_on_request(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "vi"
    assert '<html lang="vi">' in response.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


# --- Organiser journeys through the views ------------------------------------------------------


def test_organiser_creates_event_adds_round_and_opens_it(client, organiser, organisation, now):
    client.force_login(organiser)
    local = timezone.localtime(now)
    window = {
        "opens_at": local.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (local + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
    }
    response = client.post(
        reverse("organiser_event_create"),
        {
            "organisation": organisation.pk,
            "title": "Tuần lễ 2026",
            "kind": "contest",
            "visibility": "public",
            "eligible_categories": ["pupil", "student"],
            **window,
        },
    )
    event = Event.objects.get(title="Tuần lễ 2026")
    assert response["Location"] == reverse("organiser_event", args=[event.pk])
    assert event.eligible_categories == ["pupil", "student"] and event.created_by == organiser
    client.post(
        reverse("organiser_round_create", args=[event.pk]), {"title": "Vòng 1", "kind": "quiz", "weight": "1", **window}
    )
    client.post(reverse("organiser_event_transition", args=[event.pk]), {"to_state": "open"})
    event.refresh_from_db()
    assert event.state == "open" and event.rounds.count() == 1


def test_illegal_transition_through_the_view_shows_a_message(client, organiser, make_event):
    event = make_event(rounds=0)
    client.force_login(organiser)
    response = client.post(reverse("organiser_event_transition", args=[event.pk]), {"to_state": "open"}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages and Event.objects.get(pk=event.pk).state == "draft"
    response = client.post(reverse("organiser_event_transition", args=[event.pk]), {"to_state": "bogus"}, follow=True)
    assert Event.objects.get(pk=event.pk).state == "draft"


def test_round_outside_the_event_window_is_refused_with_the_form_shown_again(client, organiser, make_event):
    event = make_event(rounds=0)
    client.force_login(organiser)
    late = timezone.localtime(event.closes_at + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    start = timezone.localtime(event.opens_at).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("organiser_round_create", args=[event.pk]),
        {"title": "Late", "kind": "quiz", "weight": "1", "opens_at": start, "closes_at": late},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert not event.rounds.exists()


def _roster_xlsx(rows) -> BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã đơn vị", "Tên đơn vị", "Khối", "Sĩ số", "Mã địa bàn"])
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "roster.xlsx"
    return out


def test_roster_upload_with_errors_shows_each_row_and_imports_nothing(client, organiser, organisation, regions):
    client.force_login(organiser)
    url = reverse("organiser_roster_import", args=[organisation.slug])
    upload = _roster_xlsx(
        [["A1", "Trường A", "THPT", 900, "TN-DT"], ["A2", "", "THPT", "nhiều", "XX"], ["A1", "Dup", "", 5, ""]]
    )
    response = client.post(url, {"file": upload})
    rows = response.context["rows"]
    assert response.context["has_errors"]
    assert [row.line for row in rows if row.errors] == [3, 4]
    assert len(rows[1].errors) == 3  # no name, bad headcount, unknown region
    client.post(url, {"confirm": "1"})
    assert not organisation.units.exists()


def test_clean_roster_is_previewed_then_imported_on_confirm(client, organiser, organisation, regions):
    client.force_login(organiser)
    url = reverse("organiser_roster_import", args=[organisation.slug])
    response = client.post(
        url, {"file": _roster_xlsx([["A1", "Trường A", "THPT", 900, "TN-DT"], ["B2", "Trường B", "THCS", 300, ""]])}
    )
    assert not response.context["has_errors"] and not organisation.units.exists(), "preview writes nothing"
    client.post(url, {"confirm": "1"})
    assert sorted(organisation.units.values_list("code", "headcount")) == [("A1", 900), ("B2", 300)]


def test_roster_template_downloads_and_parses_clean(client, organiser, organisation, regions):
    from contests.roster import parse_roster

    client.force_login(organiser)
    response = client.get(reverse("organiser_roster_template", args=[organisation.slug]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = parse_roster(response.content, known_region_codes=set(regions))
    assert rows and not any(row.errors for row in rows)
    assert response.content[:2] == roster_template()[:2] == b"PK"


def test_a_file_that_is_not_excel_gets_a_clear_error(client, organiser, organisation):
    client.force_login(organiser)
    fake = BytesIO(b"not a workbook")
    fake.name = "roster.xlsx"
    response = client.post(reverse("organiser_roster_import", args=[organisation.slug]), {"file": fake})
    assert response.context["form"].errors["file"]
    assert not Organisation.objects.filter(parent=organisation).exists()


# --- Health -----------------------------------------------------------------------------------


def test_healthz_reports_every_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True
    assert set(data["checks"]) == {"database", "channel_layer", "job_queue", "media_storage"}
    assert all(check["ok"] for check in data["checks"].values())


def test_healthz_answers_503_when_a_dependency_fails(client, settings, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(blocked)}},
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["media_storage"]["ok"] is False


def test_missing_pages_answer_with_the_site_layout(client):
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    assert response["Content-Language"] == "vi"
    assert 'href="/"' in response.content.decode()


def test_wrong_invite_codes_are_limited_per_address(client, make_event):
    event = make_event(state="open", visibility="invite", description="Hidden details")
    url = reverse("event_unlock", args=[event.slug])
    for _attempt in range(services.WRONG_INVITE_CODES_PER_ADDRESS):
        assert client.post(url, {"code": "WRONG123"}).status_code == 302
    response = client.post(url, {"code": event.invite_code})
    assert response.status_code == 429, "a blocked address learns nothing, not even from the right code"
    assert "Hidden details" not in client.get(event.get_absolute_url()).content.decode()
    other = Client(REMOTE_ADDR="198.51.100.7")
    other.post(url, {"code": event.invite_code})
    assert "Hidden details" in other.get(event.get_absolute_url()).content.decode(), "other addresses may"


def test_wrong_invite_codes_are_limited_per_account_whatever_the_address(client, make_event, participant):
    event = make_event(state="open", visibility="invite")
    url = reverse("event_unlock", args=[event.slug])
    for index in range(services.WRONG_INVITE_CODES_PER_ACCOUNT):
        roaming = Client(REMOTE_ADDR=f"198.51.100.{10 + index}")
        roaming.force_login(participant)
        assert roaming.post(url, {"code": "WRONG123"}).status_code == 302
    client.force_login(participant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        response = client.post(url, {"code": event.invite_code}, REMOTE_ADDR="198.51.100.99")
    assert response.status_code == 429
    assert "Too many wrong invite codes" in response.content.decode()


def test_an_incomplete_profile_is_reminded_on_pages_but_not_on_the_profile_form(client, make_user, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user("no.profile@example.vn"))
    assert "Your profile is not complete yet" in client.get(reverse("home")).content.decode()
    assert "Your profile is not complete yet" not in client.get(reverse("profile_edit")).content.decode()


def test_a_complete_profile_gets_no_reminder(client, make_user, complete_profile, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user("full.profile@example.vn", profile=complete_profile("+84913000777")))
    assert "Your profile is not complete yet" not in client.get(reverse("home")).content.decode()
