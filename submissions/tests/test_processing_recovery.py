"""A worker that dies mid-job: django-tasks-db leaves its job "running" for ever and never runs it again, so
the processing job keeps a lease on its version (renewed while it transcodes) and ``versions_sweep`` takes
over a version whose lease ran out. The whole fault, with a real worker killed, is in tests/faults; the
renewal while the transcoding child runs, and a job that lost its lease, are in test_processing_limits."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from submissions import services
from submissions.models import EntryVersion


@pytest.fixture
def queued_version(reading_round, reader, make_entry, django_capture_on_commit_callbacks):
    """A received recording whose processing job waits in the queue (the job is queued after commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        entry = make_entry(reading_round, reader, process=False)
    return entry.versions.get()


def _claimed_by_a_worker_that_died(version: EntryVersion, *, ago: dt.timedelta) -> None:
    """What a worker killed ``ago`` mid-transcode leaves: its job running, the version processing."""
    then = timezone.now() - ago
    DBTaskResult.objects.filter(id=version.job_id).update(status="RUNNING", started_at=then, worker_ids=["gone"])
    EntryVersion.objects.filter(pk=version.pk).update(state="processing", processing_started_at=then, attempts=1)


def _ready_job(version: EntryVersion) -> DBTaskResult:
    version.refresh_from_db()
    return DBTaskResult.objects.ready().get(id=version.job_id)


@pytest.mark.django_db(transaction=True)
def test_the_queue_never_runs_a_job_again_once_its_worker_died(queued_version):
    """Why the lease exists: the worker only picks READY jobs."""
    version = queued_version
    _claimed_by_a_worker_that_died(version, ago=dt.timedelta(days=1))
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    version.refresh_from_db()
    assert version.state == "processing"
    assert DBTaskResult.objects.get(id=version.job_id).status == "RUNNING"


@pytest.mark.django_db
def test_sweep_takes_over_a_version_whose_lease_ran_out(queued_version, django_capture_on_commit_callbacks):
    version = queued_version
    dead_job = version.job_id
    _claimed_by_a_worker_that_died(version, ago=services.PROCESSING_LEASE + dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.versions_sweep() == 1
    version.refresh_from_db()
    assert (version.state, version.attempts) == ("received", 1) and "WorkerLost" in version.error
    abandoned = DBTaskResult.objects.get(id=dead_job)
    assert abandoned.status == "FAILED" and abandoned.exception_class_path.endswith("WorkerLost")
    assert _ready_job(version).id != dead_job, "queued again at once: the lease already waited"
    assert services.version_process(version_id=version.pk) == "ready"


@pytest.mark.django_db
def test_sweep_leaves_a_version_whose_lease_is_fresh(queued_version):
    version = queued_version
    _claimed_by_a_worker_that_died(version, ago=services.PROCESSING_LEASE - dt.timedelta(seconds=10))
    assert services.versions_sweep() == 0
    version.refresh_from_db()
    assert version.state == "processing" and DBTaskResult.objects.get(id=version.job_id).status == "RUNNING"


@pytest.mark.django_db
def test_sweep_requeues_a_version_whose_worker_died_between_claiming_the_job_and_the_version(queued_version):
    version = queued_version
    job = version.job_id
    DBTaskResult.objects.filter(id=job).update(status="RUNNING", started_at=timezone.now())
    assert services.versions_sweep() == 0, "just claimed by a live worker"
    DBTaskResult.objects.filter(id=job).update(started_at=timezone.now() - services.PROCESSING_LEASE * 2)
    assert services.versions_sweep() == 1
    assert DBTaskResult.objects.get(id=job).status == "FAILED"
    assert _ready_job(version).id != job
