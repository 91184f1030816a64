"""The demo seeder: judging of the demo contest's reading round (rubric, blind panel, one entry scored)."""

import io

import pytest
from django.core.management import call_command

from submissions.models import ReadingRound

pytestmark = pytest.mark.django_db


def test_seed_demo_sets_up_blind_judging_with_one_entry_scored(client):
    from judging.models import Assignment, Criterion, JudgeScore, RoundJudge

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    reading_round = ReadingRound.objects.get(round__event__slug="cong-dan-so-2023", round__kind="reading")
    assert Criterion.objects.filter(reading_round=reading_round).count() == 4
    judge = RoundJudge.objects.get(reading_round=reading_round)
    assert judge.user.email == "judge@demo.vn" and reading_round.blind_judging
    assert Assignment.objects.filter(judge=judge, state="active").count() == 2
    score = JudgeScore.objects.get(assignment__judge=judge)
    assert score.is_submitted and str(score.total) == "80.50"
    client.force_login(judge.user)
    queue = client.get(f"/judging/rounds/{reading_round.round_id}/")
    assert queue.status_code == 200
    html = queue.content.decode()
    assert "Phạm Văn An" not in html and "Hoàng Thị Bình" not in html
