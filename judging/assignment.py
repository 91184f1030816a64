"""Who may judge what, and a balanced automatic assignment. Pure: no database, so tests hit it directly.

Conflicts of interest (``conflicted``): a judge is never given an entry

1. of their own: the same account (organisers and judges cannot enter their event, but be safe);
2. whose author is a person they declared (by e-mail address, so that a person who signs up later is
   still matched), or whom they declared a conflict with on one of the author's entries;
3. whose author belongs to the judge's own organisation (their profile's) or to an organisation they
   declared — or to a unit of one of these: a district office is in conflict with its schools;
4. that they were given before and gave back (a declared conflict, or scored in the shortlist stage when
   the final stage wants other eyes): ``excluded_entries``.

Balance (``assign``): entries that miss judges are served most constrained first (fewest eligible
judges), each slot going to the eligible judge with the lowest load so far (ties: the smaller judge
key, so the result is deterministic). Without conflicts every judge's load then differs from every
other's by at most one; with conflicts, as close to that as the conflicts allow. Existing assignments
are never moved: adding a judge later, or running the assignment again, only fills missing slots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class JudgeFacts:
    """What conflicts are checked against, for one judge of a round."""

    key: int  # RoundJudge id
    user_id: int
    organisation_ids: frozenset[int] = frozenset()  # their own organisation + the declared ones
    emails: frozenset[str] = frozenset()  # declared people, lower-case
    excluded_entries: frozenset[int] = frozenset()


@dataclass(frozen=True)
class AuthorFacts:
    """The author of one entry: their account, address and organisation with every parent above it."""

    entry_id: int
    user_id: int
    email: str = ""
    organisation_chain: tuple[int, ...] = ()  # the author's organisation, its parent, its parent's parent…


def conflicted(judge: JudgeFacts, author: AuthorFacts) -> bool:
    """True when ``judge`` must not score the entry of ``author`` (rules 1–4 of the module's docstring)."""
    if judge.user_id == author.user_id or author.entry_id in judge.excluded_entries:
        return True
    if author.email and author.email.lower() in judge.emails:
        return True
    return any(org_id in judge.organisation_ids for org_id in author.organisation_chain)


@dataclass
class Plan:
    """The new (entry id, judge key) pairs, and the entries still short of judges (entry id → missing)."""

    pairs: list[tuple[int, int]] = field(default_factory=list)
    short: dict[int, int] = field(default_factory=dict)


def assign(
    *,
    missing: Mapping[int, int],
    judges: Iterable[JudgeFacts],
    authors: Mapping[int, AuthorFacts],
    loads: Mapping[int, int],
    current: Mapping[int, set[int]],
) -> Plan:
    """Fill each entry's missing slots (``missing``: entry id → how many judges it still needs).

    ``loads``: active assignments each judge already has (the balance counts them); ``current``: entry id
    → judge keys it already has (never given the same judge twice).
    """
    judges = sorted(judges, key=lambda j: j.key)
    load = {judge.key: loads.get(judge.key, 0) for judge in judges}
    eligible = {
        entry_id: [
            j for j in judges if j.key not in current.get(entry_id, set()) and not conflicted(j, authors[entry_id])
        ]
        for entry_id, need in missing.items()
        if need > 0
    }
    plan = Plan()
    for entry_id in sorted(eligible, key=lambda e: (len(eligible[e]), e)):
        candidates = list(eligible[entry_id])
        for _slot in range(missing[entry_id]):
            if not candidates:
                plan.short[entry_id] = plan.short.get(entry_id, 0) + 1
                continue
            chosen = min(candidates, key=lambda j: (load[j.key], j.key))
            candidates.remove(chosen)
            load[chosen.key] += 1
            plan.pairs.append((entry_id, chosen.key))
    return plan


def pick_one(
    *, entry_id: int, judges: Iterable[JudgeFacts], author: AuthorFacts, loads: Mapping[int, int], taken: set[int]
):
    """The judge to add to one entry (an extra judge, or a replacement): eligible, least loaded; or None."""
    plan = assign(
        missing={entry_id: 1}, judges=judges, authors={entry_id: author}, loads=loads, current={entry_id: taken}
    )
    return plan.pairs[0][1] if plan.pairs else None
