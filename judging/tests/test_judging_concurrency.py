"""A judge's double submission (a double click, two tabs) at the same moment leaves exactly one score: threads
with their own database connections race to submit; the row lock and the one-score-per-assignment constraint
keep a single row with every mark once."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import OperationalError

from judging import services as judging
from judging.models import CriterionMark, JudgeScore

THREADS = 5


def _submit_waiting_for_locks(assignment, marks) -> str:
    """Submit; while the database is locked by another writer, wait and try again (see the votes' race test:
    the in-memory SQLite test database does not honour the busy timeout)."""
    for _attempt in range(300):
        try:
            judging.score_save(assignment=assignment, marks=marks, submit=True)
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.01)
        else:
            return "saved"
    return "gave up waiting for the database"


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_leave_one_score(judging_round, make_reader, make_entry, make_judge, marks_for):
    rr = judging_round()
    entry = make_entry(rr, make_reader())
    judge = make_judge(rr, "a@example.vn")
    assignment = judging.assignment_add(entry=entry, judge=judge, by=None)
    marks = marks_for(rr, 7, 8)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit():
        from django.db import connections

        try:
            barrier.wait()
            result = _submit_waiting_for_locks(assignment, marks)
        except Exception as exc:  # reported as the test's failure below
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["saved"] * THREADS
    score = JudgeScore.objects.get(assignment=assignment)
    assert score.total == Decimal("37.00") and score.is_submitted
    assert CriterionMark.objects.filter(score=score).count() == 2
