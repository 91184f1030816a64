"""The same submission sent several times at the same moment — a double click, two tabs, a script — over two
daphne processes sharing the run's database (PostgreSQL when DATABASE_URL is set, SQLite otherwise): a quiz
attempt's submit, a public vote, a judge's score. Each leaves exactly one record, and every request gets an
ordinary answer (a redirect), never an error page.

The services' own races (threads calling them directly) are in submissions/tests/test_votes_concurrency.py and
test_judging_concurrency.py; here the requests go through the served application, as browsers send them."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.browser import post
from tests.servers import Daphne, project_call, running

pytestmark = [pytest.mark.faults, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SENDS = 6  # at once, alternately to each process


def _at_once(urls: list[str], path: str, *, session: str, form: dict | None = None) -> list:
    """POST ``path`` SENDS times at the same moment (a barrier), alternating between the processes."""
    barrier = threading.Barrier(SENDS)
    with ThreadPoolExecutor(SENDS) as pool:
        sends = [
            pool.submit(post, urls[i % len(urls)], path, session=session, form=form, barrier=barrier)
            for i in range(SENDS)
        ]
        return [send.result() for send in sends]


@pytest.fixture(scope="module")
def served(fresh_env, tmp_path_factory):
    env = fresh_env("double-submissions")
    data = project_call(env, "tests.faults.scenarios:races")
    folder = tmp_path_factory.mktemp("double-submissions-logs")
    with running(Daphne(env, folder), Daphne(env, folder)) as servers:
        yield env, data, [server.url for server in servers]


def _records(env, data) -> dict:
    return project_call(
        env,
        "tests.faults.scenarios:race_records",
        attempt=data["attempt"],
        entry=data["entry"],
        assignment=data["assignment"],
    )


def test_a_quiz_attempt_submitted_at_once_is_graded_and_recorded_once(served):
    env, data, urls = served
    replies = _at_once(urls, f"/attempts/{data['attempt']}/submit/", session=data["player"])
    assert {(r.status, r.location) for r in replies} == {(302, f"/attempts/{data['attempt']}/result/")}
    records = _records(env, data)
    assert (records["attempts"], records["attempt_status"], records["attempt_score"]) == (1, "submitted", "2.00")
    assert records["leaderboard_rows"] == [["2.00", 1]], "one score, one attempt used"


def test_a_vote_cast_at_once_counts_once(served):
    env, data, urls = served
    replies = _at_once(urls, f"/reading/entries/{data['entry']}/vote/", session=data["voter"])
    assert {r.status for r in replies} == {302}, [(r.status, r.body[:200]) for r in replies]
    assert _records(env, data)["votes"] == 1


def test_a_judge_score_submitted_at_once_leaves_one_score(served):
    env, data, urls = served
    first, second = data["criteria"]
    form = {f"c{first}": "7", f"c{second}": "8", "comment": "Đọc tốt", "action": "submit"}
    replies = _at_once(urls, f"/judging/assignments/{data['assignment']}/", session=data["judge"], form=form)
    assert {r.status for r in replies} == {302}, [(r.status, r.body[:200]) for r in replies]
    records = _records(env, data)
    assert records["judge_scores"] == [["37.00", True]], "7 × 3 + 8 × 2, submitted, one row"
    assert records["marks"] == 2
