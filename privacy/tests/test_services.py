"""My data (Decree 13/2023): the export holds everything about the person and nothing about anyone else;
consents are withdrawn with their time; deleting an account erases the person and keeps the results
recomputable."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.utils import translation

from conftest import PASSWORD
from contests.models import ConsentEvent, ConsentKind, Profile
from leaderboard.models import Correction, ResultRow, Score
from privacy import selectors, services
from privacy.models import Erasure
from submissions.models import EntryVersion

pytestmark = pytest.mark.django_db


def test_the_export_holds_every_section_of_the_person_and_nothing_of_others(history, person, rival):
    with translation.override("en"):
        data = selectors.mydata_collect(user=person)
    assert list(data) == list(selectors.SECTIONS)
    assert data["profile"][0]["full_name"] == "Trần Thị Riêng Tư" and data["profile"][0]["phone"] == "+84912000777"
    assert data["account"][0]["email_addresses"] == "rieng@example.vn"
    assert [c["action"] for c in data["consents"]] == ["Given"]
    assert len(data["attempts"]) == 1 and data["attempts"][0]["status"] == "Submitted"
    assert len(data["answers"]) == history["questions"], "one row per question of the attempt"
    assert all(a["answer"] for a in data["answers"]), "every answer named by its text, never by an id"
    assert data["entries"][0]["title"] == "Bài đọc của Riêng Tư" and "doc.wav" in data["entries"][0]["recordings"]
    assert data["scores"][0]["points"] == data["attempts"][0]["score"]
    assert data["results"][0]["name_as_published"] and data["results"][0]["rank"] == 1
    assert {c["kind"] for c in data["certificates"]} == {"Prize", "Participation"}
    assert data["forum_posts"][0]["body"] == "Nội dung bài viết"
    flat = repr(data)
    assert "Lê Văn Khác" not in flat and "rival@example.vn" not in flat


def test_per_question_points_only_once_the_feedback_policy_allows_a_review(history, person, quiz_round):
    after = quiz_round.round.closes_at + dt.timedelta(days=1)
    assert all(a["points"] for a in selectors.mydata_collect(user=person, now=after)["answers"])
    quiz_round.feedback = "never"
    quiz_round.save(update_fields=["feedback"])
    assert not any(a["points"] for a in selectors.mydata_collect(user=person, now=after)["answers"])


def test_withdrawing_a_consent_records_it_with_its_time_and_makes_the_profile_incomplete(person, now):
    given = Profile.objects.get(user=person).data_consent_at
    services.consent_withdraw(user=person, kind=ConsentKind.DATA_PROCESSING, now=now + dt.timedelta(hours=1))
    profile = Profile.objects.get(user=person)
    assert profile.data_consent_at is None and not profile.is_complete
    history = [(e["kind"], e["action"], e["at"]) for e in selectors.consent_history(user=person)]
    assert history == [("data", "given", given), ("data", "withdrawn", now + dt.timedelta(hours=1))]
    with pytest.raises(services.MyDataError):
        services.consent_withdraw(user=person, kind=ConsentKind.DATA_PROCESSING)
    with pytest.raises(services.MyDataError):
        services.consent_withdraw(user=person, kind="marketing")
    assert ConsentEvent.objects.filter(user=person).count() == 2, "refusals change nothing"


def test_deleting_needs_the_password_and_a_wrong_one_changes_nothing(person):
    with pytest.raises(services.MyDataError):
        services.account_erase(user=person, password="wrong")
    person.refresh_from_db()
    assert person.is_active and Profile.objects.get(user=person).full_name and not Erasure.objects.exists()


def test_wrong_passwords_are_limited(person):
    for _ in range(services.DELETE_TRIES_PER_HOUR):
        with pytest.raises(services.MyDataError):
            services.account_erase(user=person, password="wrong")
    with pytest.raises(services.MyDataLimited):
        services.account_erase(user=person, password=PASSWORD)
    assert not Erasure.objects.exists()


def test_deleting_erases_the_person_and_keeps_an_anonymous_published_row(
    history, person, rival, django_capture_on_commit_callbacks
):
    versions = list(EntryVersion.objects.filter(entry__user=person))
    stored = [v.original for v in versions]
    assert all(f.storage.exists(f.name) for f in stored)
    row_before = ResultRow.objects.get(user=person)
    scores_before = list(Score.objects.order_by("pk").values_list("user_id", "points"))

    with django_capture_on_commit_callbacks(execute=True):
        erasure = services.account_erase(user=person, password=PASSWORD)

    person.refresh_from_db()
    assert not person.is_active and not person.has_usable_password() and person.email == ""
    assert person.username == f"erased-{person.pk}" and not EmailAddress.objects.filter(user=person).exists()
    profile = Profile.objects.get(user=person)
    assert (profile.phone, profile.date_of_birth, profile.data_consent_at) == (None, None, None)
    assert profile.display_name == services.anonymous_label(person.pk), "boards and forum posts show the label too"
    assert not any(f.storage.exists(f.name) for f in stored), "the recordings' files are deleted"
    assert not EntryVersion.objects.filter(entry__user=person).exclude(original="").exists()
    assert erasure.files_deleted >= 1 and erasure.result_rows == 1

    row = ResultRow.objects.get(user=person)
    assert row.name == row.full_name == services.anonymous_label(person.pk)  # "Thí sinh #<id>"
    assert row.name.endswith(f" #{person.pk}")
    assert (row.rank, row.total, row.prize, row.keys) == (
        row_before.rank,
        row_before.total,
        row_before.prize,
        row_before.keys,
    )
    assert list(Score.objects.order_by("pk").values_list("user_id", "points")) == scores_before
    audit = Correction.objects.get(row=row)
    assert audit.field == "name" and audit.new_value == row.name and "Trần" not in audit.old_value
    assert ResultRow.objects.get(user=rival).name != row.name
    call_command("verify_results", str(history["result_set"].round_id))  # ranks still recompute

    flat = repr(selectors.mydata_collect(user=person))
    for personal in ("Trần Thị Riêng Tư", "+84912000777", "rieng@example.vn", "Nguyễn Văn Nhỏ", "doc.wav"):
        assert personal not in flat, personal
    with pytest.raises(services.MyDataError):
        services.account_erase(user=person, password=PASSWORD)


def test_the_anonymous_label_is_in_the_sites_language_whoever_deletes():
    """Published results are a Vietnamese document: the label does not follow the deleting person's
    language switch ("Thí sinh #1234" once the catalog holds locale/fragments/wp-mydata16.po)."""
    with translation.override("en"):
        in_english_session = services.anonymous_label(1234)
    with translation.override("vi"):
        expected = translation.gettext("Participant #%(number)s") % {"number": 1234}
    assert in_english_session == expected
