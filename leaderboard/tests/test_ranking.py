import datetime as dt
import random
from decimal import Decimal

import pytest

from leaderboard import ranking, selectors
from leaderboard.services import board_configure, board_release, score_record

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


def ranks(rnd, chain, now):
    config = board_configure(rnd=rnd, chain=chain)
    return [(s.score.user.email, s.rank) for s in selectors.top(config=config, now=now)]


def test_points_then_time_used_with_competition_ranking_for_true_ties(rnd, people, now):
    p = people
    record(rnd, p[0], 8, at=now, used=100_000)
    record(rnd, p[1], 10, at=now, used=300_000)
    record(rnd, p[2], 8, at=now, used=100_000)
    record(rnd, p[3], 8, at=now, used=90_000)
    record(rnd, p[4], 5, at=now, used=10_000)
    assert ranks(rnd, [ranking.POINTS, ranking.TIME_USED], now) == [
        ("p1@example.vn", 1),
        ("p3@example.vn", 2),
        ("p0@example.vn", 3),
        ("p2@example.vn", 3),
        ("p4@example.vn", 5),
    ]


def test_prediction_closeness_applies_only_once_the_round_has_closed(rnd, people, now):
    for index, prediction in enumerate([2, 7, None]):
        record(rnd, people[index], 10, at=now, used=1_000 * (3 - index), prediction=prediction)
    chain = ranking.default_chain(with_prediction=True)
    while_open = [email for email, _rank in ranks(rnd, chain, now)]
    assert while_open == ["p2@example.vn", "p1@example.vn", "p0@example.vn"], "by time while the count is unknown"
    after_close = rnd.closes_at + dt.timedelta(minutes=1)
    assert [email for email, _rank in ranks(rnd, chain, after_close)] == while_open, "until every score is in"
    board_release(rnd=rnd, now=after_close)
    # three have full marks: |2-3| = 1 beats |7-3| = 4; no prediction ranks last on that key
    assert [email for email, _rank in ranks(rnd, chain, after_close)] == [
        "p0@example.vn",
        "p1@example.vn",
        "p2@example.vn",
    ]


def test_submission_moment_can_replace_time_used(rnd, people, now):
    record(rnd, people[0], 9, at=now + dt.timedelta(minutes=5), used=10_000)
    record(rnd, people[1], 9, at=now, used=500_000)
    chain = ranking.default_chain(with_prediction=False, time_key=ranking.SUBMITTED_AT)
    assert ranks(rnd, chain, now)[0][0] == "p1@example.vn"


def test_fewer_attempts_then_earlier_registration(rnd, people, now):
    record(rnd, people[0], 9, at=now, used=1000, attempts=2)
    record(rnd, people[1], 9, at=now, used=1000, attempts=1)
    record(rnd, people[2], 9, at=now, used=1000, attempts=1)
    chain = ranking.default_chain(with_prediction=False)
    assert [e for e, _r in ranks(rnd, chain, now)] == ["p1@example.vn", "p2@example.vn", "p0@example.vn"]


def test_rank_of_agrees_with_the_full_ordering_on_random_boards(rnd, make_user, now):
    """ "1 + count(better)" must equal the competition rank of the sorted board, for every row."""
    rng = random.Random(7)
    users = [make_user(f"r{i}@example.vn") for i in range(60)]
    for user in users:
        record(
            rnd,
            user,
            rng.choice([5, 7, 10]),
            at=now + dt.timedelta(seconds=rng.choice([0, 30])),
            used=rng.choice([None, 1000, 2000]),
            prediction=rng.choice([None, 1, 4, 9]),
            attempts=rng.choice([1, 2]),
        )
    after_close = rnd.closes_at + dt.timedelta(minutes=1)
    for chain in (ranking.default_chain(with_prediction=True), [ranking.POINTS, ranking.SUBMITTED_AT]):
        config = board_configure(rnd=rnd, chain=chain)
        board = selectors.top(config=config, now=after_close, limit=1000)
        for standing in board:
            assert selectors.rank_of(config=config, score=standing.score, now=after_close) == standing.rank


def test_score_record_replaces_the_previous_score(rnd, people, now):
    record(rnd, people[0], 3, at=now)
    record(rnd, people[0], 7, at=now)
    config = selectors.board_config(rnd=rnd)
    assert [s.score.points for s in selectors.top(config=config, now=now)] == [7]


def test_a_chain_must_start_with_points(rnd):
    with pytest.raises(ValueError):
        board_configure(rnd=rnd, chain=[ranking.TIME_USED])


def test_describe_names_each_key():
    assert len(ranking.describe(ranking.default_chain(with_prediction=True))) == 5
