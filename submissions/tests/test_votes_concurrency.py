"""One vote per account and entry holds when the same vote arrives several times at the same moment:
threads with their own database connections race to insert; the unique constraint keeps exactly one."""

import datetime as dt
import threading
import time

import pytest
from django.db import OperationalError
from django.utils import translation

from submissions import services
from submissions.models import Vote
from submissions.services import votes

THREADS = 6


def _vote_waiting_for_locks(entry, user) -> str:
    """Cast the vote; while the database is locked by another writer, wait and try again.

    PostgreSQL makes the second insert wait for the first transaction by itself. The SQLite test database
    lives in memory with a shared cache, whose table locks do not honour the busy timeout that the
    file database of ``make run`` uses; this loop is that busy timeout.
    """
    for _attempt in range(200):
        try:
            services.vote_cast(entry=entry, user=user)
        except services.VoteError as refusal:
            return f"refused: {refusal}"
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.01)
        else:
            return "counted"
    return "gave up waiting for the database"


@pytest.mark.django_db(transaction=True)
def test_simultaneous_votes_of_one_account_count_once(gallery_entry, reading_round, make_user, now, monkeypatch):
    monkeypatch.setattr(votes, "VOTES_PER_MINUTE", 10_000)  # the race, not the rate limit, is under test
    services.reading_round_configure(
        rnd=reading_round.round,
        settings={
            "voting_enabled": True,
            "voting_opens_at": now - dt.timedelta(hours=1),
            "voting_closes_at": now + dt.timedelta(days=1),
        },
    )
    gallery_entry.refresh_from_db()
    voter = make_user("racer@example.vn")
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def vote():
        from django.db import connections

        try:
            with translation.override("en"):
                barrier.wait()
                result = _vote_waiting_for_locks(gallery_entry, voter)
        except Exception as exc:  # reported as the test's failure below, with what went wrong
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=vote) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["counted"] + ["refused: You have already voted for this entry."] * (THREADS - 1)
    assert Vote.objects.filter(entry=gallery_entry, user=voter).count() == 1
