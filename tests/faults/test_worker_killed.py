"""The job worker (``manage.py db_worker``) is killed (SIGKILL) in the middle of transcoding a read-aloud entry:
the job is taken over once its lease runs out (``versions_sweep``, what ``sweep_entries`` runs) and the entry
becomes ready; a damaged upload that only the full decode reveals ends "rejected" with its reason — neither
is left in "processing"."""

from __future__ import annotations

import signal
import time

import pytest

from submissions.services import PROCESSING_LEASE
from tests.servers import Worker, db_rows, project_call, running

pytestmark = pytest.mark.faults

STATE = "SELECT state FROM submissions_entryversion WHERE id = %s"


def _wait_for_state(env: dict, version_id: int, wanted: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while (state := db_rows(env, STATE, (version_id,))[0][0]) != wanted:
        assert time.monotonic() < deadline, f"version {version_id} still {state!r}, never {wanted!r}"
        time.sleep(0.05)


def test_a_job_killed_mid_transcode_is_taken_over_and_a_damaged_upload_is_rejected(fresh_env, tmp_path):
    env = fresh_env("worker-killed")
    versions = project_call(env, "tests.faults.scenarios:reading_entries", video_seconds=20)
    video, damaged = versions["video"], versions["damaged"]
    worker = Worker(env, tmp_path)
    with running(worker):
        _wait_for_state(env, video, "processing")
        worker.kill(signal.SIGKILL)
        stored = project_call(env, "tests.faults.scenarios:versions_stored", ids=[video])[str(video)]
        assert (stored["state"], stored["jobs"], stored["media"]) == ("processing", ["RUNNING"], False), stored

        worker.start()  # django-tasks-db never runs a claimed job again: the damaged upload is next
        _wait_for_state(env, damaged, "rejected")
        assert db_rows(env, STATE, (video,))[0][0] == "processing"

        recovered = project_call(
            env, "tests.faults.scenarios:versions_sweep", later_s=PROCESSING_LEASE.total_seconds() + 1
        )
        assert recovered == 1
        _wait_for_state(env, video, "ready")

    stored = project_call(env, "tests.faults.scenarios:versions_stored", ids=[video, damaged])
    assert stored[str(video)] == {
        "state": "ready",
        "reason_code": "",
        "reason": "",
        "attempts": 2,
        "current": True,
        "media": True,
        "jobs": ["FAILED", "SUCCESSFUL"],  # the killed worker's job, recorded as failed; the retry
    }
    refused = stored[str(damaged)]
    assert (refused["state"], refused["reason_code"], refused["current"]) == ("rejected", "undecodable", False)
    assert refused["reason"] and refused["jobs"] == ["SUCCESSFUL"] and refused["attempts"] == 1
