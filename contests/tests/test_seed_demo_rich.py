"""``seed_demo --rich`` (what ``make run`` loads): a few hundred simulated participants and what they did,
so that a newcomer's first look shows full boards. Idempotent: a second run adds nothing. (Its duration is
measured, not asserted: see the report of ``manage.py seed_demo --rich``, "rich demo ready in … s".)"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from contests.demo import RICH_PARTICIPANTS
from contests.models import Profile
from forums.models import Post
from judging.models import JudgeScore
from leaderboard.models import Certificate, ResultRow, ResultSet, Score
from quizzes.models import Attempt, AttemptItem
from submissions.models import Vote

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "profiles": Profile.objects.count(),
        "attempts": Attempt.objects.count(),
        "items": AttemptItem.objects.count(),
        "scores": Score.objects.count(),
        "result rows": ResultRow.objects.count(),
        "certificates": Certificate.objects.count(),
        "votes": Vote.objects.count(),
        "judge scores": JudgeScore.objects.exclude(submitted_at=None).count(),
        "posts": Post.objects.count(),
    }


def test_the_rich_demo_fills_boards_and_a_second_run_adds_nothing(client):
    report = io.StringIO()
    call_command("seed_demo", "--rich", stdout=report)
    first = counts()
    call_command("seed_demo", "--rich", stdout=io.StringIO())
    assert counts() == first, "idempotent"
    assert "rich demo ready in" in report.getvalue()

    people = Profile.objects.filter(user__email__endswith="@demo.vn", user__email__startswith="thisinh")
    assert people.count() == RICH_PARTICIPANTS and all(p.is_complete for p in people.select_related("user"))
    assert people.values("region").distinct().count() > 20, "spread across communes"
    assert people.exclude(organisation=None).values("organisation").distinct().count() >= 4, "and schools"
    assert first["attempts"] > 300 and first["scores"] >= first["attempts"]
    assert first["judge scores"] >= 2 and first["votes"] > 20 and first["posts"] > 15

    published = ResultSet.objects.get(round__event__slug="cong-dan-so-tuan-1")
    assert published.rows.exclude(prize="").count() >= 11 and published.rows.count() > 200
    assert Certificate.objects.filter(row__result_set=published, kind="prize").count() >= 11
    verified = io.StringIO()
    call_command("verify_results", str(published.round_id), stdout=verified)
    assert "0 differences" in verified.getvalue(), "the simulated answers grade to the published results"

    page = client.get(reverse("event_results", args=[published.round.event.slug]))
    assert page.status_code == 200 and page.content.decode().count("<tr") > 200
