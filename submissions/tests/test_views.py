"""Participant, gallery and organiser pages: uploads (JSON and plain form), the streaming size cap, states,
languages, moderation and the originals' zip."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from submissions import services
from submissions.models import Entry, EntryVersion
from submissions.services import processing, votes

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def _post_entry(client, reading_round, path, *, name=None, json_reply=True, **fields):
    data = {"title": "Bài đọc của tôi", "note": "", "consent_publish": "on", "source": "uploaded", **fields}
    with open(path, "rb") as handle:
        data["recording"] = SimpleUploadedFile(name or path.name, handle.read())
        url = reverse("reading_entry_create", kwargs={"round_id": reading_round.round_id})
        return client.post(url, data, **(JSON if json_reply else {}))


def test_round_page_shows_passage_rules_and_the_form(client, make_reading_round, reader):
    reading_round = make_reading_round(passage="Đọc **chương 1**", book_url="https://example.org/sach")
    client.force_login(reader)
    response = client.get(reading_round.round.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>chương 1</strong>" in body and "https://example.org/sach" in body
    assert 'id="entry-form"' in body and 'id="recorder"' in body and 'name="recording"' in body
    assert 'data-max-seconds="5"' in body


def test_anonymous_visitors_see_the_rules_and_a_sign_in_link(client, reading_round):
    body = client.get(reading_round.round.get_absolute_url()).content.decode()
    assert "entry-form" not in body and "/accounts/login/" in body


def test_draft_event_round_page_is_hidden(client, make_reading_round):
    reading_round = make_reading_round(state="draft")
    assert client.get(reading_round.round.get_absolute_url()).status_code == 404


def test_event_page_links_to_the_reading_round(client, reading_round):
    body = client.get(reading_round.round.event.get_absolute_url()).content.decode()
    assert reverse("reading_round", kwargs={"round_id": reading_round.round_id}) in body


def test_upload_creates_an_entry_and_answers_json(client, reading_round, reader, media):
    client.force_login(reader)
    response = _post_entry(client, reading_round, media["webm"], name="blob")
    assert response.status_code == 200, response.content
    reply = response.json()
    entry = Entry.objects.get()
    assert reply == {"ok": True, "redirect": reverse("reading_entry", kwargs={"entry_id": entry.pk})}
    assert entry.consent_publish and entry.versions.get().state == "received"


def test_plain_form_upload_redirects_to_the_entry(client, reading_round, reader, media):
    client.force_login(reader)
    response = _post_entry(client, reading_round, media["mp3"], json_reply=False)
    entry = Entry.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reading_entry", args=[entry.pk])


@pytest.mark.parametrize(
    ("language", "words"), [("vi", "không đọc được tệp âm thanh"), ("en", "not an audio or video")]
)
def test_a_fake_file_is_refused_in_the_user_s_language(client, reading_round, reader, media, language, words):
    client.force_login(reader)
    client.post(reverse("set_language"), {"language": language})
    response = _post_entry(client, reading_round, media["text"])
    assert response.status_code == 400
    assert words in " ".join(response.json()["errors"]["recording"]).lower()
    assert not Entry.objects.exists()


def test_a_refused_file_re_renders_the_plain_form_with_the_reason(client, reading_round, reader, media):
    client.force_login(reader)
    response = _post_entry(client, reading_round, media["png"], json_reply=False)
    assert response.status_code == 400
    assert 'id="id_recording_error"' in response.content.decode()


def test_the_size_cap_is_enforced_while_streaming(client, make_reading_round, reader, media, tmp_path):
    """A file over the cap never reaches the service: 413, a reason, nothing stored (the declared length
    already tells; ``test_uploads.py`` checks the count of streamed bytes when no length is declared)."""
    reading_round = make_reading_round(max_size_mb=1)
    big = tmp_path / "big.wav"
    big.write_bytes(media["wav"].read_bytes() * 5)
    client.force_login(reader)
    response = _post_entry(client, reading_round, big)
    assert response.status_code == 413
    assert "1 MB" in response.json()["errors"]["__all__"][0]
    assert not EntryVersion.objects.exists()


def test_uploads_need_a_csrf_token(reading_round, reader, media):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    response = _post_entry(client, reading_round, media["webm"])
    assert response.status_code == 403 and not Entry.objects.exists()


def test_uploads_are_rate_limited(client, reading_round, reader, media, monkeypatch):
    from submissions.views import participant

    monkeypatch.setattr(participant, "UPLOADS_PER_HOUR", 1)
    client.force_login(reader)
    _post_entry(client, reading_round, media["webm"])
    response = _post_entry(client, reading_round, media["webm"])
    assert response.status_code == 429 and Entry.objects.count() == 1


def test_a_plain_upload_over_the_limit_gets_a_translated_429_page(client, reading_round, reader, media, monkeypatch):
    from submissions.views import participant

    monkeypatch.setattr(participant, "UPLOADS_PER_HOUR", 1)
    client.force_login(reader)
    _post_entry(client, reading_round, media["webm"], json_reply=False)
    response = _post_entry(client, reading_round, media["webm"], json_reply=False)
    assert response.status_code == 429 and Entry.objects.count() == 1
    assert "Bạn đã gửi quá nhiều tệp trong một giờ qua." in response.content.decode()


def test_entry_page_shows_the_state_and_polls_while_processing(client, reading_round, reader, make_entry):
    entry = make_entry(reading_round, reader, process=False)
    client.force_login(reader)
    body = client.get(reverse("reading_entry", args=[entry.pk])).content.decode()
    assert 'data-status-url="' in body and 'data-state="received"' in body
    status = client.get(reverse("reading_entry_status", args=[entry.pk])).json()
    assert status["state"] == "received" and status["pending"] is True
    services.version_process(version_id=entry.versions.get().pk)
    body = client.get(reverse("reading_entry", args=[entry.pk])).content.decode()
    assert 'data-state="ready"' in body and "<audio" in body and '<svg class="waveform"' in body
    assert client.get(reverse("reading_entry_status", args=[entry.pk])).json()["pending"] is False


def test_a_rejected_version_shows_its_reason(client, reading_round, reader, make_entry, monkeypatch):
    from submissions.media_probe import MediaRejected

    monkeypatch.setattr(processing, "transcode", lambda *a, **k: (_ for _ in ()).throw(MediaRejected("undecodable")))
    entry = make_entry(reading_round, reader)
    client.force_login(reader)
    body = client.get(reverse("reading_entry", args=[entry.pk])).content.decode()
    assert 'data-state="rejected"' in body and "giải mã" in body  # Vietnamese by default


def test_owner_replaces_the_recording_and_changes_the_title(client, reading_round, reader, make_entry, media):
    entry = make_entry(reading_round, reader)
    client.force_login(reader)
    with open(media["m4a"], "rb") as handle:
        response = client.post(
            reverse("reading_entry_update", args=[entry.pk]),
            {"title": "Tên mới", "note": "", "source": "uploaded", "recording": handle},
            **JSON,
        )
    assert response.json()["ok"] is True
    entry.refresh_from_db()
    assert entry.title == "Tên mới" and entry.versions.count() == 2


def test_a_refused_replacement_changes_nothing(client, reading_round, reader, make_entry, media):
    entry = make_entry(reading_round, reader, title="Trước")
    client.force_login(reader)
    with open(media["text"], "rb") as handle:
        response = client.post(
            reverse("reading_entry_update", args=[entry.pk]),
            {"title": "Sau", "source": "uploaded", "recording": handle},
            **JSON,
        )
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.title == "Trước" and entry.versions.count() == 1


def test_other_people_cannot_see_or_change_an_entry(client, reading_round, reader, reader2, make_entry):
    entry = make_entry(reading_round, reader, process=False)
    client.force_login(reader2)
    for name in ("reading_entry", "reading_entry_status"):
        assert client.get(reverse(name, args=[entry.pk])).status_code == 404
    response = client.post(reverse("reading_entry_update", args=[entry.pk]), {"title": "Hijacked"})
    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.title != "Hijacked"


# --- Gallery and votes ------------------------------------------------------------------------------------


@pytest.fixture
def voting(reading_round, now):
    import datetime as dt

    return services.reading_round_configure(
        rnd=reading_round.round,
        settings={
            "voting_enabled": True,
            "voting_opens_at": now - dt.timedelta(hours=1),
            "voting_closes_at": now + dt.timedelta(days=1),
            "vote_totals": "live",
        },
    )


def test_gallery_lists_approved_entries_and_takes_votes(client, voting, gallery_entry, make_user):
    url = reverse("reading_gallery", args=[voting.round_id])
    body = client.get(url).content.decode()
    assert gallery_entry.title in body and "N. V. T." in body and 'class="vote-total"' in body
    voter = make_user("fan@example.vn")
    client.force_login(voter)
    response = client.post(reverse("reading_vote", args=[gallery_entry.pk]))
    assert response.status_code == 302 and response["Location"].endswith(f"#entry-{gallery_entry.pk}")
    assert gallery_entry.votes.count() == 1
    client.post(reverse("reading_vote", args=[gallery_entry.pk]))
    assert gallery_entry.votes.count() == 1
    assert "<strong>1</strong>" in client.get(url).content.decode()


def test_gallery_hides_totals_until_the_end_when_asked(client, voting, gallery_entry):
    services.reading_round_configure(rnd=voting.round, settings={"vote_totals": "at_end"})
    body = client.get(reverse("reading_gallery", args=[voting.round_id])).content.decode()
    assert 'class="vote-total"' not in body


def test_no_vote_for_entries_outside_the_gallery(client, voting, reading_round, reader, make_entry, make_user):
    entry = make_entry(reading_round, reader)  # not approved
    client.force_login(make_user("fan@example.vn"))
    assert client.post(reverse("reading_vote", args=[entry.pk])).status_code == 404


def test_gallery_can_be_turned_off(client, make_reading_round):
    reading_round = make_reading_round(gallery_enabled=False)
    assert client.get(reverse("reading_gallery", args=[reading_round.round_id])).status_code == 404


# --- Organiser ----------------------------------------------------------------------------------------


def test_organiser_saves_settings(client, organiser, make_event):
    from contests import services as contest_services

    event = make_event(rounds=0)
    rnd = contest_services.round_create(
        event=event,
        fields={"title": "Đọc", "kind": "reading", "opens_at": event.opens_at, "closes_at": event.closes_at},
    )
    client.force_login(organiser)
    url = reverse("organiser_reading_round", args=[rnd.pk])
    assert client.get(url).status_code == 200
    data = {
        "passage": "Đọc chương 1",
        "media": "both",
        "min_duration_s": "60",
        "max_duration_s": "600",
        "max_size_mb": "300",
        "min_video_lines": "360",
        "entries_per_participant": "1",
        "entrants": "individual",
        "gallery_enabled": "on",
        "vote_weight": "0.25",
        "vote_totals": "at_end",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert rnd.reading_settings.vote_weight == pytest.approx(0.25)
    assert rnd.get_absolute_url() == reverse("reading_round", args=[rnd.pk])


def test_organiser_settings_page_answers_404_for_other_round_kinds(client, organiser, make_event):
    rnd = make_event().rounds.get()
    client.force_login(organiser)
    assert client.get(reverse("organiser_reading_round", args=[rnd.pk])).status_code == 404


def test_queue_filters_and_bulk_actions(client, organiser, reading_round, reader, reader2, make_entry):
    first = make_entry(reading_round, reader, title="Một")
    second = make_entry(reading_round, reader2, title="Hai", process=False)
    client.force_login(organiser)
    url = reverse("organiser_reading_entries", args=[reading_round.round_id])
    assert "Một" in client.get(url).content.decode()
    filtered = client.get(url, {"state": "received"}).content.decode()
    assert "Hai" in filtered and "Một" not in filtered
    response = client.post(url, {"action": "approve", "entries": [first.pk, second.pk], "next": url})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.moderation == "approved"
    client.post(url, {"action": "reject", "entries": [second.pk], "reason": "Sai đề"})
    second.refresh_from_db()
    assert (second.moderation, second.moderation_reason) == ("rejected", "Sai đề")


def test_queue_refuses_entries_of_another_round(client, organiser, make_reading_round, reader, make_entry):
    mine = make_reading_round()
    other = make_reading_round()
    foreign = make_entry(other, reader)
    client.force_login(organiser)
    client.post(
        reverse("organiser_reading_entries", args=[mine.round_id]), {"action": "approve", "entries": [foreign.pk]}
    )
    foreign.refresh_from_db()
    assert foreign.moderation == "pending"


def test_queue_filters_by_region(client, organiser, reading_round, reader, make_user, complete_profile, make_entry):
    elsewhere = make_user("far@example.vn", profile=complete_profile("+84912000555", region="TN-PL-02"))
    make_entry(reading_round, reader, title="Đại Từ")
    make_entry(reading_round, elsewhere, title="Phú Lương")
    client.force_login(organiser)
    from contests.models import Region

    district = Region.objects.get(code="TN-DT")
    body = client.get(
        reverse("organiser_reading_entries", args=[reading_round.round_id]), {"region": district.pk}
    ).content.decode()
    assert ">Đại Từ</a>" in body and ">Phú Lương</a>" not in body


def test_originals_zip_holds_the_current_originals(client, organiser, reading_round, reader, reader2, make_entry):
    make_entry(reading_round, reader, sample="mp3", title="Một")
    make_entry(reading_round, reader2, sample="video_webm", title="Hai")
    client.force_login(organiser)
    response = client.get(reverse("organiser_reading_originals", args=[reading_round.round_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert len(names) == 2 and names[0].endswith("-mot-v1.mp3") and names[1].endswith("-hai-v1.webm")
    assert archive.testzip() is None


def test_organiser_requeues_from_the_entry_page(client, organiser, reading_round, reader, make_entry, monkeypatch):
    monkeypatch.setattr(processing, "MAX_ATTEMPTS", 1)
    monkeypatch.setattr(processing, "transcode", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bug")))
    entry = make_entry(reading_round, reader)
    version = entry.versions.get()
    client.force_login(organiser)
    page = client.get(reverse("organiser_reading_entry", args=[entry.pk])).content.decode()
    assert "RuntimeError: bug" in page
    client.post(reverse("organiser_reading_requeue", args=[version.pk]))
    version.refresh_from_db()
    assert version.state == "received" and version.attempts == 0


def test_status_json_is_small(client, reading_round, reader, make_entry):
    entry = make_entry(reading_round, reader)
    client.force_login(reader)
    reply = json.loads(client.get(reverse("reading_entry_status", args=[entry.pk])).content)
    assert set(reply) == {"state", "label", "pending", "reason"}


def test_gallery_query_count_does_not_grow_with_entries(
    client, voting, reading_round, make_user, complete_profile, make_entry, organiser, django_assert_max_num_queries
):
    for index in range(6):
        user = make_user(f"reader{index}@example.vn", profile=complete_profile(f"+8491200060{index}"))
        entry = make_entry(reading_round, user, sample="wav", title=f"Bài {index}")
        services.entries_moderate(entries=[entry], action="approve", by=organiser)
    client.force_login(make_user("fan@example.vn"))
    with django_assert_max_num_queries(13):  # 13th: the header's notification bell, on a cold cache
        body = client.get(reverse("reading_gallery", args=[reading_round.round_id])).content.decode()
    assert body.count('class="gallery-card"') == 6


def test_a_send_beyond_the_quota_is_refused_before_the_body_is_read(
    client, make_reading_round, reader, make_entry, media, monkeypatch
):
    from submissions.views import participant

    reading_round = make_reading_round(entries_per_participant=1)
    make_entry(reading_round, reader, process=False)
    parsed = []
    monkeypatch.setattr(participant, "install_capped_handler", lambda *args, **kwargs: parsed.append(True))
    client.force_login(reader)
    response = _post_entry(client, reading_round, media["webm"])
    assert response.status_code == 403 and response.json()["errors"]["__all__"]
    assert not parsed and Entry.objects.count() == 1


def test_votes_over_the_limit_get_429_and_count_nothing(client, voting, gallery_entry, make_user, monkeypatch):
    monkeypatch.setattr(votes, "VOTES_PER_MINUTE", 1)
    client.force_login(make_user("fan@example.vn"))
    assert client.post(reverse("reading_vote", args=[gallery_entry.pk])).status_code == 302
    response = client.post(reverse("reading_vote", args=[gallery_entry.pk]))
    assert response.status_code == 429 and "Bình chọn quá nhiều" in response.content.decode()
    assert gallery_entry.votes.count() == 1
