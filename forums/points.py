"""Contribution points of a forum, pure: the rules, their caps against spam, and one person's total.

| contribution                          | points                       | cap                                        |
|---------------------------------------|------------------------------|--------------------------------------------|
| start a topic                         | 2                            | the first 3 topics of a day count          |
| reply                                 | 1                            | the first 10 replies of a day count        |
| "helpful" received on a post          | 2                            | 5 reactions per post; 3 a day per reader   |
| "thanks" received on a post           | 1                            | (the same caps, shared with "helpful")     |
| reply marked best answer by organisers| 10                           | one per topic (a topic has one best answer)|
| score in a live quiz of the forum     | 20 × score / maximum, rounded| one per live round                         |
| whole forum                           | at most 1,000 per person     |                                            |

Why these numbers: writing earns little, so flooding threads earns at most 16 points a day; being useful
to others (reactions, best answer) earns more, but each post and each reader can only give so much, so
that a circle of friends cannot farm points by reacting to each other's every message. A live quiz is
worth at most a good answer and a half, whatever its raw score (thousands of points), so the forum board
stays a board of contributions. The ceiling keeps the board's maximum meaningful.

What never counts is left out by the caller, not here: hidden posts, posts of hidden topics, reactions to
them, and reactions to one's own posts (refused when given). Days are calendar days in the site's time
zone (the caller gives ``day``); within a day the earliest contributions are the ones that count, so a
total never changes because of something written later.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TOPIC = "topic"
REPLY = "reply"
HELPFUL = "helpful"
THANKS = "thanks"
BEST_ANSWER = "best_answer"
LIVE = "live"

POINTS = {TOPIC: 2, REPLY: 1, HELPFUL: 2, THANKS: 1, BEST_ANSWER: 10}
DAILY_CAP = {TOPIC: 3, REPLY: 10}  # how many of a kind count per day
REACTIONS_PER_POST = 5  # reactions (of either kind) that count on one post
REACTIONS_PER_GIVER_PER_DAY = 3  # reactions from one reader to one person that count per day
LIVE_MAX = 20  # points for a perfect score in one live round
CEILING = 1000  # a person's total in one forum; also the board's "maximum points"


@dataclass(frozen=True)
class Contribution:
    """One thing a person did or received. ``post``/``giver`` are set for reactions, ``share`` for live
    rounds (score ÷ maximum, between 0 and 1)."""

    kind: str
    at: dt.datetime
    day: dt.date
    post: int | None = None
    giver: int | None = None
    share: Decimal | None = None


@dataclass
class Tally:
    points: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    counted: int = 0  # contributions that earned something
    last_counted_at: dt.datetime | None = None  # the board's tie-break: who got there first ranks higher


def live_points(share: Decimal) -> int:
    """Points for a live round: ``LIVE_MAX × share``, rounded half up, share clamped to [0, 1]."""
    share = min(max(share, Decimal(0)), Decimal(1))
    return int((LIVE_MAX * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _earned(item: Contribution, seen: Counter) -> int:
    """Points of one contribution given what already counted (``seen``, updated here)."""
    if item.kind in DAILY_CAP:
        key = (item.kind, item.day)
        if seen[key] >= DAILY_CAP[item.kind]:
            return 0
        seen[key] += 1
        return POINTS[item.kind]
    if item.kind in (HELPFUL, THANKS):
        per_post, per_giver = ("post", item.post), ("giver", item.giver, item.day)
        if seen[per_post] >= REACTIONS_PER_POST or seen[per_giver] >= REACTIONS_PER_GIVER_PER_DAY:
            return 0
        seen[per_post] += 1
        seen[per_giver] += 1
        return POINTS[item.kind]
    if item.kind == BEST_ANSWER:
        return POINTS[BEST_ANSWER]
    if item.kind == LIVE:
        return live_points(item.share or Decimal(0))
    raise ValueError(f"unknown contribution kind {item.kind!r}")


def tally(contributions: Iterable[Contribution]) -> Tally:
    """Apply the rules and caps to everything one person did in one forum, in the order it happened."""
    result, seen = Tally(), Counter()
    for item in sorted(contributions, key=lambda c: (c.at, c.kind, c.post or 0, c.giver or 0)):
        earned = min(_earned(item, seen), CEILING - result.points)
        if earned <= 0:
            continue
        result.points += earned
        result.by_kind[item.kind] = result.by_kind.get(item.kind, 0) + earned
        result.counted += 1
        result.last_counted_at = item.at
    return result
