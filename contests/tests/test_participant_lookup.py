"""Organisers find participants only among the people of their own events and roster (issue 13, "Doors
closed"): the e-mail behind a phone number is not theirs to learn platform-wide, a minor's least of all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contests import services
from contests.selectors import participant_find_for_organiser

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, complete_profile, make_event, other_organisation, other_organiser, now):
    """A participant of our event, one of another organisation's event, a minor on the other's roster."""
    from leaderboard import services as board_services

    ours = make_user("ours@example.vn", profile=complete_profile("+84912000301"))
    theirs = make_user("theirs@example.vn", profile=complete_profile("+84912000302"))
    minor = make_user("minor@example.vn", profile=complete_profile("+84912000303", born=dt.date(2014, 5, 1)))
    services.profile_update(
        profile=minor.profile, data={"organisation": other_organisation}, data_consent=True, guardian_consent=True
    )
    our_event = make_event(state="open")
    their_event = make_event(state="open", org=other_organisation)
    for user, event in ((ours, our_event), (theirs, their_event)):
        board_services.score_record(
            rnd=event.rounds.get(), user=user, points=Decimal(5), max_points=Decimal(10), submitted_at=now
        )
    return {"ours": ours, "theirs": theirs, "minor": minor}


@pytest.mark.parametrize("identifier", ["ours@example.vn", "OURS@example.vn", "0912 000 301", "+84912000301"])
def test_an_organiser_finds_a_participant_of_their_own_event(people, organiser, identifier):
    assert participant_find_for_organiser(user=organiser, identifier=identifier) == people["ours"]


@pytest.mark.parametrize(
    "identifier", ["theirs@example.vn", "0912 000 302", "minor@example.vn", "0912 000 303", "", "nonsense"]
)
def test_an_organiser_does_not_find_another_organisations_participants_or_minors(people, organiser, identifier):
    assert participant_find_for_organiser(user=organiser, identifier=identifier) is None


def test_the_other_organiser_finds_their_own_entrant_and_the_minor_on_their_roster(people, other_organiser):
    assert participant_find_for_organiser(user=other_organiser, identifier="0912 000 302") == people["theirs"]
    assert participant_find_for_organiser(user=other_organiser, identifier="0912 000 303") == people["minor"]
    assert participant_find_for_organiser(user=other_organiser, identifier="ours@example.vn") is None


def test_a_site_admin_finds_anyone_and_a_participant_nobody(people, admin_user, participant):
    assert participant_find_for_organiser(user=admin_user, identifier="0912 000 303") == people["minor"]
    assert participant_find_for_organiser(user=participant, identifier="ours@example.vn") is None
