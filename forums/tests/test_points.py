"""Contribution point rules and their caps (forums/points.py), pure: no database."""

import datetime as dt
from decimal import Decimal

import pytest

from forums import points
from forums.points import Contribution, tally

T0 = dt.datetime(2023, 10, 2, 8, 0, tzinfo=dt.UTC)
DAY = T0.date()


def at(minutes=0, days=0):
    moment = T0 + dt.timedelta(minutes=minutes, days=days)
    return {"at": moment, "day": moment.date()}


def test_each_rule_earns_its_documented_points():
    result = tally(
        [
            Contribution(kind=points.TOPIC, **at(0)),
            Contribution(kind=points.REPLY, **at(1)),
            Contribution(kind=points.HELPFUL, post=1, giver=10, **at(2)),
            Contribution(kind=points.THANKS, post=1, giver=11, **at(3)),
            Contribution(kind=points.BEST_ANSWER, **at(4)),
            Contribution(kind=points.LIVE, share=Decimal("0.5"), **at(5)),
        ]
    )
    assert result.by_kind == {"topic": 2, "reply": 1, "helpful": 2, "thanks": 1, "best_answer": 10, "live": 10}
    assert result.points == 26
    assert result.last_counted_at == T0 + dt.timedelta(minutes=5)


def test_flooding_replies_earns_at_most_the_daily_cap():
    replies = [Contribution(kind=points.REPLY, **at(i)) for i in range(50)]
    assert tally(replies).points == points.DAILY_CAP[points.REPLY] * points.POINTS[points.REPLY] == 10


def test_the_daily_cap_starts_again_the_next_day():
    replies = [Contribution(kind=points.REPLY, **at(i)) for i in range(15)]
    replies += [Contribution(kind=points.REPLY, **at(i, days=1)) for i in range(15)]
    assert tally(replies).points == 20


def test_topics_have_their_own_daily_cap():
    topics = [Contribution(kind=points.TOPIC, **at(i)) for i in range(10)]
    assert tally(topics).points == 3 * 2


def test_the_earliest_contributions_of_a_day_are_the_ones_that_count():
    replies = [Contribution(kind=points.REPLY, **at(i)) for i in range(12)]
    result = tally(reversed(replies))  # order given does not matter: the order they happened does
    assert result.last_counted_at == T0 + dt.timedelta(minutes=9)


def test_reactions_on_one_post_count_at_most_five():
    reactions = [Contribution(kind=points.HELPFUL, post=7, giver=g, **at(g)) for g in range(20)]
    assert tally(reactions).points == 5 * 2


def test_one_reader_gives_at_most_three_counted_reactions_a_day():
    """A friend who likes every post of yours counts three times a day, not fifty."""
    reactions = [Contribution(kind=points.HELPFUL, post=p, giver=99, **at(p)) for p in range(50)]
    assert tally(reactions).points == 3 * 2
    next_day = [Contribution(kind=points.THANKS, post=100 + p, giver=99, **at(p, days=1)) for p in range(5)]
    assert tally(reactions + next_day).points == 3 * 2 + 3 * 1


@pytest.mark.parametrize(
    ("share", "expected"),
    [("0", 0), ("0.5", 10), ("0.524", 10), ("0.525", 11), ("1", 20), ("7", 20), ("-1", 0)],
)
def test_live_round_points_are_proportional_and_capped(share, expected):
    assert points.live_points(Decimal(share)) == expected


def test_the_total_never_exceeds_the_ceiling():
    best = [Contribution(kind=points.BEST_ANSWER, **at(i, days=i)) for i in range(150)]
    result = tally(best)
    assert result.points == points.CEILING
    assert result.last_counted_at == T0 + dt.timedelta(minutes=99, days=99), "the contribution that reached it"


def test_nothing_earns_nothing():
    result = tally([])
    assert result.points == 0 and result.last_counted_at is None


def test_unknown_kinds_are_a_programming_error():
    with pytest.raises(ValueError):
        tally([Contribution(kind="bribe", **at())])
