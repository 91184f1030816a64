"""Judging moved from ``submissions`` to its own app without losing a row: a database populated before the
move (rows written through the old ``submissions`` migration state) is migrated forward and read back
through ``judging.models``."""

from decimal import Decimal

import pytest
from django.utils import timezone

from contest_site.tests.migration_steps import migrate_forward, migrate_to
from judging.models import Assignment, Criterion, CriterionMark, JudgeInvitation, JudgeScore, RoundJudge

BEFORE_THE_MOVE = [
    ("contenttypes", "0002_remove_content_type_name"),
    ("submissions", "0004_reading_boards_await_release"),
    ("judging", None),
]


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_every_judging_row(
    make_reading_round, make_reader, make_entry, make_user, organiser, organisation
):
    reading_round = make_reading_round()
    entry = make_entry(reading_round, make_reader(), process=False)
    judge_user = make_user("giamkhao@example.vn")
    old = migrate_to(BEFORE_THE_MOVE)
    now = timezone.now()

    def old_model(name):
        return old.get_model("submissions", name)

    criterion = old_model("Criterion").objects.create(
        reading_round_id=reading_round.pk, position=1, name="Diễn cảm", max_points=10, weight=2
    )
    judge = old_model("RoundJudge").objects.create(
        reading_round_id=reading_round.pk,
        user_id=judge_user.pk,
        conflict_emails="em@example.vn",
        created_at=now,
        invited_by_id=organiser.pk,
    )
    judge.conflict_organisations.add(organisation.pk)
    old_model("JudgeInvitation").objects.create(
        reading_round_id=reading_round.pk,
        email="moi@example.vn",
        token="t" * 40,
        invited_by_id=organiser.pk,
        created_at=now,
    )
    assignment = old_model("Assignment").objects.create(entry_id=entry.pk, judge=judge, stage=1, created_at=now)
    score = old_model("JudgeScore").objects.create(
        assignment=assignment, total=Decimal("16.00"), comment="Tốt", submitted_at=now, updated_at=now
    )
    old_model("CriterionMark").objects.create(score=score, criterion=criterion, value=Decimal("8"))
    kind, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="submissions", model="judgescore"
    )

    migrate_forward()

    moved = RoundJudge.objects.get(pk=judge.pk)
    assert (moved.reading_round_id, moved.user_id, moved.conflict_emails) == (
        reading_round.pk,
        judge_user.pk,
        "em@example.vn",
    )
    assert list(moved.conflict_organisations.values_list("pk", flat=True)) == [organisation.pk]
    assert JudgeInvitation.objects.get(reading_round=reading_round).email == "moi@example.vn"
    assert Assignment.objects.get(pk=assignment.pk).entry_id == entry.pk
    assert entry.assignments.get().score.total == Decimal("16.00")
    assert [(m.criterion.name, m.value) for m in CriterionMark.objects.all()] == [("Diễn cảm", Decimal("8.00"))]
    assert Criterion.objects.get(reading_round=reading_round).weight == Decimal("2.00")
    assert JudgeScore.objects.count() == 1
    kind.refresh_from_db()
    assert (kind.app_label, kind.model) == ("judging", "judgescore")
