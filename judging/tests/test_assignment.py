"""The pure assignment (``judging.assignment``): balance, conflicts of interest, stability."""

import random

import pytest

from judging.assignment import AuthorFacts, JudgeFacts, assign, conflicted, pick_one


def _authors(n, **facts):
    return {e: AuthorFacts(entry_id=e, user_id=1000 + e, email=f"a{e}@x.vn", **facts) for e in range(1, n + 1)}


def _loads(pairs, judges):
    loads = {j.key: 0 for j in judges}
    for _entry, judge in pairs:
        loads[judge] += 1
    return loads


def _by_entry(pairs):
    result = {}
    for entry, judge in pairs:
        result.setdefault(entry, set()).add(judge)
    return result


@pytest.mark.parametrize(("entries", "judges", "k"), [(10, 4, 3), (7, 3, 2), (25, 6, 3), (5, 5, 5), (1, 3, 2)])
def test_every_entry_gets_k_distinct_judges_and_loads_differ_by_at_most_one(entries, judges, k):
    panel = [JudgeFacts(key=j, user_id=j) for j in range(1, judges + 1)]
    plan = assign(
        missing={e: k for e in range(1, entries + 1)}, judges=panel, authors=_authors(entries), loads={}, current={}
    )
    assert not plan.short
    by_entry = _by_entry(plan.pairs)
    assert all(len(by_entry[e]) == k for e in range(1, entries + 1))
    assert len(plan.pairs) == entries * k  # no judge twice on an entry (sets above)
    loads = _loads(plan.pairs, panel).values()
    assert max(loads) - min(loads) <= 1


def test_balance_holds_on_random_instances_without_conflicts():
    rng = random.Random(6)
    for _ in range(200):
        n_judges = rng.randint(1, 9)
        k = rng.randint(1, n_judges)
        entries = rng.randint(0, 40)
        panel = [JudgeFacts(key=j, user_id=j) for j in rng.sample(range(1, 100), n_judges)]
        plan = assign(
            missing={e: k for e in range(1, entries + 1)}, judges=panel, authors=_authors(entries), loads={}, current={}
        )
        loads = _loads(plan.pairs, panel).values()
        assert max(loads) - min(loads) <= 1 and len(plan.pairs) == entries * k


def test_conflict_rules():
    judge = JudgeFacts(
        key=1,
        user_id=7,
        organisation_ids=frozenset({50, 60}),
        emails=frozenset({"ban@x.vn"}),
        excluded_entries=frozenset({9}),
    )
    assert conflicted(judge, AuthorFacts(1, user_id=7))  # their own entry
    assert conflicted(judge, AuthorFacts(1, user_id=8, email="Ban@X.vn"))  # a declared person (any case)
    assert conflicted(judge, AuthorFacts(1, user_id=8, organisation_chain=(50,)))  # their organisation
    assert conflicted(judge, AuthorFacts(1, user_id=8, organisation_chain=(51, 60)))  # a unit of a declared one
    assert conflicted(judge, AuthorFacts(9, user_id=8))  # an entry they gave back
    assert not conflicted(judge, AuthorFacts(1, user_id=8, email="other@x.vn", organisation_chain=(51, 52)))
    # A judge from a unit (school 51) has no conflict with its parent (district office 52)'s people.
    school_judge = JudgeFacts(key=2, user_id=9, organisation_ids=frozenset({51}))
    assert not conflicted(school_judge, AuthorFacts(1, user_id=8, organisation_chain=(52,)))


def test_no_judge_ever_gets_a_conflicting_entry_and_shortages_are_reported():
    panel = [
        JudgeFacts(key=1, user_id=1, organisation_ids=frozenset({5})),
        JudgeFacts(key=2, user_id=2),
        JudgeFacts(key=3, user_id=3),
    ]
    authors = {e: AuthorFacts(e, 100 + e, organisation_chain=(5,) if e <= 4 else ()) for e in range(1, 9)}
    plan = assign(missing={e: 2 for e in authors}, judges=panel, authors=authors, loads={}, current={})
    for entry, judge in plan.pairs:
        assert not conflicted(next(j for j in panel if j.key == judge), authors[entry])
    assert not plan.short  # judges 2 and 3 take the entries of organisation 5
    loads = _loads(plan.pairs, panel)
    assert loads == {1: 4, 2: 6, 3: 6}  # as balanced as the conflicts allow
    plan = assign(missing={e: 3 for e in authors}, judges=panel, authors=authors, loads={}, current={})
    assert plan.short == {1: 1, 2: 1, 3: 1, 4: 1}


def test_most_constrained_entries_are_served_first():
    # Entry 1 can only go to judge 2; entry 2 to anyone. With k = 1 and entry 2 served first, judge 2 could
    # be taken — but balance then picks judge 1 for entry 2 anyway. Check that entry 1 always finds judge 2.
    panel = [JudgeFacts(key=1, user_id=1, organisation_ids=frozenset({5})), JudgeFacts(key=2, user_id=2)]
    authors = {1: AuthorFacts(1, 101, organisation_chain=(5,)), 2: AuthorFacts(2, 102)}
    plan = assign(missing={1: 1, 2: 1}, judges=panel, authors=authors, loads={}, current={})
    assert sorted(plan.pairs) == [(1, 2), (2, 1)]


def test_stable_when_judges_or_entries_are_added():
    panel = [JudgeFacts(key=j, user_id=j) for j in (1, 2, 3)]
    authors = _authors(6)
    first = assign(missing={e: 2 for e in authors}, judges=panel, authors=authors, loads={}, current={})
    assert first == assign(missing={e: 2 for e in authors}, judges=panel, authors=authors, loads={}, current={})
    current = _by_entry(first.pairs)
    loads = _loads(first.pairs, panel)
    bigger = [*panel, JudgeFacts(key=4, user_id=4)]
    again = assign(missing={e: 0 for e in authors}, judges=bigger, authors=authors, loads=loads, current=current)
    assert again.pairs == []  # nothing moves when a judge joins
    authors[7] = AuthorFacts(7, 1007)
    loads[4] = 0
    more = assign(missing={7: 2}, judges=bigger, authors=authors, loads=loads, current=current)
    assert len(more.pairs) == 2 and (7, 4) in more.pairs  # the new judge (least loaded) takes the new entry


def test_pick_one_takes_the_least_loaded_eligible_judge_not_already_on_the_entry():
    panel = [JudgeFacts(key=j, user_id=j) for j in (1, 2, 3)]
    author = AuthorFacts(1, 100)
    assert pick_one(entry_id=1, judges=panel, author=author, loads={1: 0, 2: 5, 3: 1}, taken={1}) == 3
    assert pick_one(entry_id=1, judges=panel, author=author, loads={}, taken={1, 2, 3}) is None
