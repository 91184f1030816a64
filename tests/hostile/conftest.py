"""Hostile-input tests: a modest hypothesis profile, and the apps' own fixtures reused as they are.

The app conftests are not visible from here (pytest scopes a conftest to its folder), so their fixtures are
imported: each keeps one definition, in the app it belongs to.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from forums.tests.conftest import forum, make_forum, member, member2, topic  # noqa: F401
from quizzes.tests.conftest import bank, make_quiz_round, player, player2, quiz, quiz_round  # noqa: F401
from submissions.tests.conftest import (  # noqa: F401
    judging_round,
    make_entry,
    make_judge,
    make_reader,
    make_reading_round,
    marks_for,
    media,
    reader,
    reader2,
    reading_round,
    upload_of,
)

# Enough examples to shake out edge cases, few enough that the folder runs in a minute or two on 2 cores.
# Function-scoped fixtures (the test database) are shared by the examples of one test on purpose: each
# property checks the database against a count taken inside the example.
settings.register_profile(
    "hostile",
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
    print_blob=True,
)
# `HYPOTHESIS_PROFILE=hostile-long` for a deeper hunt by hand; the suite runs the modest one.
settings.register_profile("hostile-long", parent=settings.get_profile("hostile"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hostile"))


WORLD_FIXTURES = (
    "organisation", "organiser", "other_organiser", "make_user", "complete_profile", "make_event", "make_forum",
    "judging_round", "make_entry", "make_judge", "marks_for", "now",
)  # fmt: skip


@pytest.fixture
def world(request):
    """Every kind of object, owned by a victim, with ``world.PAYLOAD`` in every text (see world.py)."""
    from .world import build

    return build(**{name: request.getfixturevalue(name) for name in WORLD_FIXTURES})
