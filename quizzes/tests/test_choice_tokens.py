"""Opaque choice tokens: nothing a participant sees correlates with the stored (author's) order."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.choice_tokens import ChoiceTokens, choice_token
from quizzes.grading import InvalidResponse


def test_tokens_are_stable_within_a_scope_and_differ_across_scopes():
    assert choice_token(scope="attempt:1", choice_id=5) == choice_token(scope="attempt:1", choice_id=5)
    assert choice_token(scope="attempt:1", choice_id=5) != choice_token(scope="attempt:2", choice_id=5)


def test_responses_round_trip_and_unknown_tokens_or_raw_ids_are_refused():
    tokens = ChoiceTokens(scope="attempt:9", choice_ids=[11, 12, 13])
    sent = [tokens.token(13), tokens.token(11), tokens.token(12)]
    assert tokens.response_from_client("ordering", sent) == [13, 11, 12]
    assert tokens.response_to_client("ordering", [13, 11, 12]) == sent
    assert tokens.response_from_client("single", tokens.token(12)) == 12
    assert tokens.response_from_client("short_text", "Hà Nội") == "Hà Nội"
    assert tokens.response_from_client("single", None) is None
    for bad in (12, "12", "zzzzzzzzzzzz", [12], {"a": 1}):
        with pytest.raises(InvalidResponse):
            tokens.response_from_client("single", bad)
    with pytest.raises(InvalidResponse):
        tokens.response_from_client("multiple", tokens.token(11))


@settings(max_examples=200, deadline=None)
@given(first_id=st.integers(min_value=1, max_value=10**9), size=st.integers(min_value=2, max_value=8))
def test_tokens_are_unique_and_never_the_ids(first_id, size):
    ids = list(range(first_id, first_id + size))
    tokens = ChoiceTokens(scope=f"attempt:{first_id}", choice_ids=ids)
    assert len(tokens.by_token) == size
    assert not {str(cid) for cid in ids} & set(tokens.by_token)


def test_sorting_tokens_gives_the_stored_order_only_by_chance():
    """Over 3,000 generated four-choice questions (ids ascending in the right order, as the importers create
    them), sorting the tokens gives the right order about 1 time in 4! = 24, not systematically."""
    hits = 0
    for scope in range(3000):
        ids = [scope * 4 + offset for offset in range(1, 5)]
        tokens = ChoiceTokens(scope=f"attempt:{scope}", choice_ids=ids)
        hits += sorted(ids, key=tokens.token) == ids
    assert hits / 3000 < 2 / 24
