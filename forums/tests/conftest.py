import datetime as dt

import pytest

from contests import services as contest_services
from contests.models import Event
from forums import services


@pytest.fixture
def make_forum(organisation, organiser, now):
    """An open forum event of ``organisation`` with its points round (and optionally a live round)."""

    def make(*, org=None, by=None, state=Event.State.OPEN, live_round=False, **fields):
        values = {
            "title": "Diễn đàn Tự học",
            "kind": Event.Kind.FORUM,
            "opens_at": now - dt.timedelta(days=1),
            "closes_at": now + dt.timedelta(days=7),
            **fields,
        }
        by = by or organiser
        event = contest_services.event_create(organisation=org or organisation, by=by, fields=values)
        if live_round:
            contest_services.round_create(
                event=event,
                fields={
                    "title": "Đố vui",
                    "kind": "live",
                    "opens_at": values["opens_at"],
                    "closes_at": values["closes_at"],
                },
            )
        services.points_round(event=event)
        if state != Event.State.DRAFT:
            contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=by)
        if state == Event.State.CLOSED:
            contest_services.event_transition(event=event, to_state=Event.State.CLOSED, by=by)
        event.refresh_from_db()
        return event

    return make


@pytest.fixture
def forum(make_forum):
    return make_forum()


@pytest.fixture
def member(make_user, complete_profile):
    """A participant whose complete profile makes them eligible to write."""
    return make_user("an@example.vn", profile=complete_profile("+84912000001"))


@pytest.fixture
def member2(make_user, complete_profile):
    return make_user("binh@example.vn", profile=complete_profile("+84912000002"))


@pytest.fixture
def member3(make_user, complete_profile):
    return make_user("chi@example.vn", profile=complete_profile("+84912000003"))


@pytest.fixture
def topic(forum, member, now):
    return services.topic_create(
        event=forum, author=member, title="Tự học thế nào?", body="Xin mẹo **tự học**.", now=now
    )


@pytest.fixture
def reply(topic, member2, now):
    return services.post_create(topic=topic, author=member2, body="Học 20 phút mỗi tối.", now=now)


@pytest.fixture
def later(now):
    def shift(**delta):
        return now + dt.timedelta(**delta)

    return shift
