import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from leaderboard import results
from leaderboard import services as board_services
from notifications import services
from notifications.kinds import Kind
from notifications.models import Notification, RoundReminder

pytestmark = pytest.mark.django_db


def test_notify_writes_once_per_person_kind_and_object(citizen):
    assert services.notify(citizen, Kind.APPEAL_ANSWERED, key="appeal:1", params={"title": "Vòng 1"}) == 1
    assert services.notify(citizen, Kind.APPEAL_ANSWERED, key="appeal:1", params={"title": "Vòng 1"}) == 0
    assert services.notify(citizen, Kind.APPEAL_ANSWERED, key="appeal:2", params={"title": "Vòng 1"}) == 1
    assert Notification.objects.filter(user=citizen).count() == 2
    note = Notification.objects.get(key="appeal:1")
    assert note.channels == ["email"]  # the phone channel is opt-in
    assert note.in_site and note.delivery == Notification.Delivery.PENDING
    assert "Vòng 1" in note.text


def test_preferences_decide_channels_and_can_silence_a_kind(citizen, memory_phone):
    services.preferences_set(
        user=citizen,
        choices={
            Kind.RESULTS_PUBLISHED: {"site": False, "email": False, "phone": False},
            Kind.CERTIFICATE_ISSUED: {"site": False, "email": True, "phone": True},
            "no-such-kind": {"site": True},
        },
    )
    assert services.notify(citizen, Kind.RESULTS_PUBLISHED, key="results:1") == 0
    assert services.notify(citizen, Kind.CERTIFICATE_ISSUED, key="certificate:X") == 1
    note = Notification.objects.get()
    assert note.in_site is False
    assert note.channels == ["email", "notifications.backends.MemoryBackend"]
    assert services.preferences_of(user=citizen)[Kind.CERTIFICATE_ISSUED] == {
        "site": False,
        "email": True,
        "phone": True,
    }
    assert services.preferences_of(user=citizen)[Kind.ROUND_OPENS] == {"site": True, "email": True, "phone": False}


def test_delivery_sends_email_and_phone(citizen, memory_phone):
    services.preferences_set(user=citizen, choices={Kind.ENTRY_REJECTED: {"site": True, "email": True, "phone": True}})
    services.notify(
        citizen,
        Kind.ENTRY_REJECTED,
        key="entry:1",
        params={"entry": "Bài đọc", "reason": "Quá dài"},
        url="/rounds/1/reading/",
    )
    assert services.notifications_deliver_pending(kind=Kind.ENTRY_REJECTED, key="entry:1") == 1
    note = Notification.objects.get()
    assert note.delivery == Notification.Delivery.SENT and note.attempts == 1
    assert set(note.delivered) == {"email", "notifications.backends.MemoryBackend"}
    [email] = mail.outbox
    assert email.to == ["dan@example.vn"]
    assert "Bài đọc" in email.subject and "Quá dài" in email.body
    assert "http://" in email.body and "/rounds/1/reading/" in email.body
    [sms] = memory_phone
    assert sms["phone"] == "+84912000901" and "Quá dài" in sms["text"]


def test_a_failing_backend_never_blocks_the_action_and_the_sweep_retries(
    closed_event, organiser, failing_phone, settings
):
    """Publishing results (the action) succeeds although the phone provider is down; the notification is
    marked failed with the error, e-mail went out once, and the sweep retries only what failed."""
    winner = closed_event.people[0]
    services.preferences_set(
        user=winner, choices={Kind.RESULTS_PUBLISHED: {"site": True, "email": True, "phone": True}}
    )

    result_set = results.results_publish(event=closed_event, by=organiser, prizes={"first": 1})
    closed_event.refresh_from_db()
    assert closed_event.state == "results_published" and result_set.rows.count() == 3

    services.notifications_deliver_pending(kind=Kind.RESULTS_PUBLISHED, key=f"results:{result_set.pk}")
    note = Notification.objects.get(user=winner)
    assert note.delivery == Notification.Delivery.FAILED
    assert "SMS gateway unreachable" in note.last_error
    assert "email" in note.delivered
    assert len([m for m in mail.outbox if winner.email in m.to]) == 1

    call_command("notify_rounds", stdout=io.StringIO())  # still down: failed again, counted
    note.refresh_from_db()
    assert note.delivery == Notification.Delivery.FAILED and note.attempts == 2

    settings.NOTIFICATION_CHANNELS = ["notifications.backends.MemoryBackend"]
    note.channels = ["email", "notifications.backends.MemoryBackend"]
    note.save(update_fields=["channels"])
    assert services.notifications_retry() == 1
    note.refresh_from_db()
    assert note.delivery == Notification.Delivery.SENT
    assert len([m for m in mail.outbox if winner.email in m.to]) == 1  # the e-mail was not sent twice


def test_delivery_gives_up_after_max_attempts(citizen, failing_phone):
    services.preferences_set(
        user=citizen, choices={Kind.APPEAL_ANSWERED: {"site": True, "email": False, "phone": True}}
    )
    services.notify(citizen, Kind.APPEAL_ANSWERED, key="appeal:9")
    note = Notification.objects.get()
    for _ in range(services.MAX_ATTEMPTS):
        services.notification_deliver(notification=note)
    assert note.delivery == Notification.Delivery.GAVE_UP
    assert services.notifications_retry() == 0


@pytest.mark.django_db(transaction=True)  # the real worker below runs its own transactions
def test_delivery_is_a_background_job_enqueued_after_commit(citizen):
    with transaction.atomic():
        services.notify(citizen, Kind.APPEAL_ANSWERED, key="appeal:3", params={"title": "Vòng 1"})
        assert not DBTaskResult.objects.exists()  # nothing is enqueued before the action commits
    job = DBTaskResult.objects.get()
    assert job.task_path == "notifications.tasks.deliver_notifications"
    assert mail.outbox == []
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert Notification.objects.get().delivery == Notification.Delivery.SENT
    assert len(mail.outbox) == 1


def test_a_failure_to_write_is_logged_and_swallowed(citizen, caplog):
    # Parameters that cannot be stored (not JSON): the caller's action must carry on regardless.
    assert (
        services.notify_many(user_ids=[citizen.pk], kind=Kind.APPEAL_ANSWERED, key="a:1", params={"x": object()}) == 0
    )
    assert "not written" in caplog.text
    assert not Notification.objects.exists()


def test_results_and_certificates_notify_everyone_once(closed_event, organiser):
    result_set = results.results_publish(event=closed_event, by=organiser, prizes={"first": 1, "second": 1})
    assert Notification.objects.filter(kind=Kind.RESULTS_PUBLISHED).count() == 3
    results.certificates_issue(result_set=result_set)
    results.certificates_issue(result_set=result_set)  # idempotent, and so are its notifications
    certificates = Notification.objects.filter(kind=Kind.CERTIFICATE_ISSUED)
    assert {n.user for n in certificates} == set(closed_event.people[:2])
    first = certificates.get(user=closed_event.people[0])
    assert first.url.startswith("/certificates/") and first.params["code"] in first.url


def test_a_round_results_publication_notifies_its_participants(closed_event, organiser):
    rnd = closed_event.rounds.get()
    result_set = results.round_results_publish(rnd=rnd, by=organiser, prizes={})
    assert Notification.objects.filter(kind=Kind.RESULTS_PUBLISHED, key=f"results:{result_set.pk}").count() == 3


def test_round_reminders_go_to_registered_people_once(two_round_event, make_user, complete_profile, now):
    _event, first, second = two_round_event
    took_part = make_user("a@example.vn", profile=complete_profile("+84912000801"))
    asked = make_user("b@example.vn", profile=complete_profile("+84912000802"))
    stranger = make_user("c@example.vn", profile=complete_profile("+84912000803"))
    board_services.score_record(rnd=first, user=took_part, points=Decimal(5), max_points=Decimal(10), submitted_at=now)
    services.round_reminder_toggle(user=asked, rnd=second)
    services.round_reminder_toggle(user=asked, rnd=first)

    written = services.rounds_remind(now=now)
    assert services.rounds_remind(now=now + dt.timedelta(minutes=5)) == 0  # idempotent
    opens = Notification.objects.filter(kind=Kind.ROUND_OPENS)
    closes = Notification.objects.filter(kind=Kind.ROUND_CLOSES)
    assert {n.user for n in opens} == {took_part, asked}
    assert {n.user for n in closes} == {asked}  # took_part already has a score in the closing round
    assert written == 3
    assert not Notification.objects.filter(user=stranger).exists()
    assert "Vòng 2" in opens.first().params["round"]


def test_round_reminders_skip_rounds_beyond_24_hours_and_draft_events(two_round_event, make_user, now):
    _event, _first, second = two_round_event
    person = make_user("d@example.vn")
    services.round_reminder_toggle(user=person, rnd=second)
    assert services.rounds_remind(now=now - dt.timedelta(days=1)) == 0  # round 2 was 36 h away then
    assert services.round_reminder_toggle(user=person, rnd=second) is False
    assert not RoundReminder.objects.exists()
