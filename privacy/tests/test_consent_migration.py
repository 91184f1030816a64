"""The consent history moved down to ``contests.ConsentEvent`` without losing anything: a database from before
the move (privacy's withdrawals, a teacher's recorded form, consents only stamped on profiles) is migrated
forward and read back as one history, each moment once, with who recorded it."""

import datetime as dt

import pytest
from django.utils import timezone

from contest_site.tests.migration_steps import migrate_forward, migrate_to
from contests.models import ConsentEvent

BEFORE_THE_MOVE = [("contests", "0004_people_class_accounts"), ("privacy", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_every_consent_moment(make_user):
    person, pupil, teacher = make_user("a@example.vn"), make_user("pupil@example.vn"), make_user("gv@example.vn")
    old = migrate_to(BEFORE_THE_MOVE)
    now = timezone.now()
    given, withdrawn, again = now - dt.timedelta(days=3), now - dt.timedelta(days=2), now - dt.timedelta(days=1)
    profile = old.get_model("contests", "Profile")
    profile.objects.create(user_id=person.pk, full_name="A", data_consent_at=again)
    profile.objects.create(user_id=pupil.pk, full_name="P", guardian_consent_at=now, guardian_name="Bố")
    old.get_model("contests", "ConsentRecord").objects.create(
        user_id=pupil.pk, guardian_name="Bố", reference="PH-1", form_date=now.date(), recorded_by_id=teacher.pk,
        recorded_at=now,
    )  # fmt: skip
    events = old.get_model("privacy", "ConsentEvent")
    events.objects.create(user_id=person.pk, kind="data", action="given", at=given)
    events.objects.create(user_id=person.pk, kind="data", action="withdrawn", at=withdrawn)

    migrate_forward()

    history = ConsentEvent.objects.order_by("user_id", "at").values_list(
        "user_id", "kind", "action", "at", "recorded_by_id", "paper_form__reference"
    )
    assert list(history) == [
        (person.pk, "data", "given", given, person.pk, None),
        (person.pk, "data", "withdrawn", withdrawn, person.pk, None),
        (person.pk, "data", "given", again, person.pk, None),
        (pupil.pk, "guardian", "given", now, teacher.pk, "PH-1"),
    ]
