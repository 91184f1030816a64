import datetime as dt
from decimal import Decimal

import pytest

from contests import services as contest_services
from leaderboard import services as board_services
from notifications.backends import MemoryBackend


class FailingBackend:
    """A phone provider that is down: every send raises."""

    def send(self, *, phone, text, notification):
        raise ConnectionError("SMS gateway unreachable")


@pytest.fixture(autouse=True)
def _empty_phone_outbox():
    MemoryBackend.outbox.clear()
    yield
    MemoryBackend.outbox.clear()


@pytest.fixture
def memory_phone(settings):
    settings.NOTIFICATION_CHANNELS = ["notifications.backends.MemoryBackend"]
    return MemoryBackend.outbox


@pytest.fixture
def failing_phone(settings):
    settings.NOTIFICATION_CHANNELS = ["notifications.tests.conftest.FailingBackend"]


@pytest.fixture
def citizen(make_user, complete_profile):
    return make_user("dan@example.vn", profile=complete_profile("+84912000901"))


@pytest.fixture
def closed_event(make_event, make_user, complete_profile, now):
    """A closed event whose only round scored three people (as leaderboard's own tests build it)."""
    event = make_event(state="open", rounds=1)
    rnd = event.rounds.get()
    people = []
    for index, points in enumerate([10, 8, 6]):
        user = make_user(f"r{index}@example.vn", profile=complete_profile(f"+8491200040{index}"))
        board_services.score_record(
            rnd=rnd, user=user, points=Decimal(points), max_points=Decimal(10), submitted_at=now
        )
        people.append(user)
    contest_services.event_transition(event=event, to_state="closed", by=event.created_by)
    event.refresh_from_db()
    event.people = people
    return event


@pytest.fixture
def two_round_event(make_event, now):
    """An open event: round 1 running (closes in 10 h), round 2 opens in 12 h."""
    event = make_event(
        state="draft", rounds=0, opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=5)
    )
    first = contest_services.round_create(
        event=event,
        fields={
            "title": "Vòng 1",
            "kind": "quiz",
            "opens_at": now - dt.timedelta(hours=5),
            "closes_at": now + dt.timedelta(hours=10),
        },
    )
    second = contest_services.round_create(
        event=event,
        fields={
            "title": "Vòng 2",
            "kind": "quiz",
            "opens_at": now + dt.timedelta(hours=12),
            "closes_at": now + dt.timedelta(days=2),
        },
    )
    contest_services.event_transition(event=event, to_state="open", by=event.created_by)
    event.refresh_from_db()
    return event, first, second
