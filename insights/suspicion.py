"""The suspicion report's rule, pure: attempts of one quiz round with the same answers to the same questions,
submitted from one address within a few seconds of each other, by different people.

Informational only. A class that sits in one school room shares one address and may well agree on an easy
quiz; the report shows organisers where to look, and they decide. Nothing here changes a score.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEFAULT_WINDOW_S = 60


@dataclass(frozen=True)
class SuspectAttempt:
    attempt_id: int
    user_id: int
    ip_address: str
    submitted_at: dt.datetime
    answers: tuple  # ((question id, response key), …) of the answered questions, by question id


def suspicious_groups(
    attempts: list[SuspectAttempt], *, window_s: int = DEFAULT_WINDOW_S
) -> list[list[SuspectAttempt]]:
    """Groups of two or more attempts by at least two people with one address and identical answers, each
    submitted within ``window_s`` seconds of the previous one in the group (a chain: three submissions 50 s
    apart form one group with a 60 s window). Attempts with no answer at all are never grouped: empty
    sheets are alike without anyone copying. The largest groups first."""
    alike: dict[tuple, list[SuspectAttempt]] = {}
    for attempt in attempts:
        if attempt.answers and attempt.ip_address:
            alike.setdefault((attempt.ip_address, attempt.answers), []).append(attempt)
    window = dt.timedelta(seconds=window_s)
    groups = []
    for members in alike.values():
        members.sort(key=lambda attempt: (attempt.submitted_at, attempt.attempt_id))
        chain = [members[0]]
        for attempt in members[1:]:
            if attempt.submitted_at - chain[-1].submitted_at <= window:
                chain.append(attempt)
            else:
                groups.append(chain)
                chain = [attempt]
        groups.append(chain)
    kept = [group for group in groups if len({attempt.user_id for attempt in group}) >= 2]
    return sorted(kept, key=lambda group: (-len(group), group[0].submitted_at))
