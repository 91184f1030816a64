"""Data set-up and checks for the multi-host test, run inside the hosts' settings and database through
``tests.servers.project_call``: the services create everything, as the app does."""

from __future__ import annotations

JUDGE_EMAIL = "multihost-judge@example.vn"


def world() -> dict:
    """The production tests' world (an open event with a reading round, a live session, its host, a
    participant) plus a judge of the organisation and signed-in sessions for the participant, the host
    and the judge (the session store is the shared database and Redis: any host honours them)."""
    from django.contrib.auth import get_user_model

    from contests import services as contest_services
    from contests.models import Membership, Organisation
    from tests.prod import data
    from tests.sessions import signed_in_session

    made = data.world()
    organisation = Organisation.objects.get(slug="so-prod")
    judge = data._user(JUDGE_EMAIL)
    contest_services.membership_add(user=judge, organisation=organisation, role=Membership.Role.JUDGE)
    users = get_user_model().objects
    return {
        **made,
        "sessions": {
            "player": signed_in_session(users.get(pk=made["player"])),
            "host": signed_in_session(users.get(email=data.HOST_EMAIL)),
            "judge": signed_in_session(judge),
        },
    }


def assign_to_judge(*, entry_id: int) -> int:
    """Seat the judge on the entry's round and give them the entry (as the organiser would); the version
    they will play."""
    from django.contrib.auth import get_user_model

    from judging import services as judging
    from submissions.models import Entry
    from tests.prod import data

    entry = Entry.objects.select_related("reading_round").get(pk=entry_id)
    organiser = get_user_model().objects.get(email=data.HOST_EMAIL)
    seat = judging.judge_invite(reading_round=entry.reading_round, email=JUDGE_EMAIL, by=organiser)
    judging.assignment_add(entry=entry, judge=seat, by=organiser)
    return entry.current_id


def stored(*, version_id: int) -> dict:
    """Where the version's files are: their names, and the bytes of the web file read through the storage."""
    from django.core.files.storage import default_storage

    from submissions.models import EntryVersion

    version = EntryVersion.objects.get(pk=version_id)
    with version.media.open("rb") as handle:
        media = handle.read()
    return {
        "state": version.state,
        "storage": type(default_storage._wrapped).__name__,
        "media": version.media.name,
        "original": version.original.name,
        "media_hex": media.hex(),
    }
