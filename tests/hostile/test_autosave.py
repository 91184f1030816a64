"""Hostile bodies at the quiz autosave (``POST /attempts/<id>/answer/``, the hottest request of a contest):
any body is answered with a status and a message — never a 500 — and the saved answer stays as it was."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from quizzes import services
from quizzes.models import AttemptItem

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=100),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries({"position": json_values, "response": json_values}).map(lambda d: json.dumps(d).encode()),
    st.fixed_dictionaries({"position": st.integers(-3, 6), "response": json_values}).map(
        lambda d: json.dumps(d).encode()
    ),
)


@pytest.fixture
def started(client, quiz_round, player):
    attempt = services.attempt_start(quiz_round=quiz_round, user=player)
    client.force_login(player)
    return attempt


def saved(attempt) -> list:
    return list(AttemptItem.objects.filter(attempt=attempt).order_by("position").values_list("response", flat=True))


@pytest.mark.django_db
@given(body=bodies)
def test_any_body_gets_a_status_and_a_message(client, started, body):
    before = saved(started)
    response = client.post(reverse("attempt_answer", args=[started.pk]), data=body, content_type="application/json")
    assert response.status_code in (200, 400, 404, 409, 413)
    if response.status_code != 200:
        assert saved(started) == before, "a refused answer changes nothing"
        if response.status_code != 404:
            assert response.json()["error"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b'{"position": Infinity, "response": 1}',
        b'{"position": 1e400, "response": 1}',
        b'{"position": 1.5, "response": 1}',
        b'{"position": true, "response": 1}',
        b"[" * 3000 + b"]" * 3000,
    ],
    ids=["infinity", "1e400", "fraction", "boolean", "deep-nesting"],
)
def test_overflowing_and_deeply_nested_bodies_are_refused(client, started, body):
    response = client.post(reverse("attempt_answer", args=[started.pk]), data=body, content_type="application/json")
    assert response.status_code == 400
