import datetime as dt
from decimal import Decimal

import pytest

from leaderboard import ranking, selectors
from leaderboard.services import score_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def rnd(make_event):
    return make_event(rounds=1).rounds.get()


@pytest.fixture
def people(make_user):
    return [make_user(f"p{i}@example.vn") for i in range(6)]


def record(rnd, user, points, *, at, used=None, prediction=None, attempts=1):
    return score_record(
        rnd=rnd,
        user=user,
        points=Decimal(points),
        max_points=Decimal(10),
        submitted_at=at,
        time_used_ms=used,
        prediction=prediction,
        attempts_used=attempts,
    )


def ranks(rnd, chain, full_marks=None):
    return [(s.user.email, s.rank) for s in selectors.round_board(rnd=rnd, chain=chain, full_marks=full_marks)]


def test_points_then_time_used_with_competition_ranking_for_true_ties(rnd, people, now):
    p = people
    record(rnd, p[0], 8, at=now, used=100_000)
    record(rnd, p[1], 10, at=now, used=300_000)
    record(rnd, p[2], 8, at=now, used=100_000)
    record(rnd, p[3], 8, at=now, used=90_000)
    record(rnd, p[4], 5, at=now, used=10_000)
    chain = [ranking.POINTS, ranking.TIME_USED]
    assert ranks(rnd, chain) == [
        ("p1@example.vn", 1),
        ("p3@example.vn", 2),
        ("p0@example.vn", 3),
        ("p2@example.vn", 3),
        ("p4@example.vn", 5),
    ]


def test_prediction_closeness_breaks_ties_before_time(rnd, people, now):
    p = people
    for user, prediction in zip(p[:3], [2, 7, None], strict=True):
        record(rnd, user, 10, at=now, used=1_000 * (p.index(user) + 1), prediction=prediction)
    chain = ranking.default_chain(with_prediction=True)
    # three have full marks: |2-3| = 1 beats |7-3| = 4; no prediction ranks last on that key
    assert [email for email, _rank in ranks(rnd, chain, full_marks=3)] == [
        "p0@example.vn",
        "p1@example.vn",
        "p2@example.vn",
    ]


def test_submission_moment_can_replace_time_used(rnd, people, now):
    record(rnd, people[0], 9, at=now + dt.timedelta(minutes=5), used=10_000)
    record(rnd, people[1], 9, at=now, used=500_000)
    chain = ranking.default_chain(with_prediction=False, time_key=ranking.SUBMITTED_AT)
    assert ranks(rnd, chain)[0][0] == "p1@example.vn"


def test_fewer_attempts_then_earlier_registration(rnd, people, now):
    record(rnd, people[0], 9, at=now, used=1000, attempts=2)
    record(rnd, people[1], 9, at=now, used=1000, attempts=1)
    record(rnd, people[2], 9, at=now, used=1000, attempts=1)
    chain = ranking.default_chain(with_prediction=False)
    assert [e for e, _r in ranks(rnd, chain)] == ["p1@example.vn", "p2@example.vn", "p0@example.vn"]


def test_score_record_replaces_the_previous_score(rnd, people, now):
    record(rnd, people[0], 3, at=now)
    record(rnd, people[0], 7, at=now)
    assert [s.points for s in selectors.round_board(rnd=rnd, chain=[ranking.POINTS], full_marks=None)] == [7]


def test_describe_names_each_key():
    assert len(ranking.describe(ranking.default_chain(with_prediction=True))) == 5
