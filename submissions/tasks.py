"""Background jobs of the submissions app (django-tasks, database backend, run by ``manage.py db_worker``)."""

from django_tasks import task


@task()
def process_entry_version(version_id: int) -> str:
    """Transcode one received recording (retries and failures are recorded on the version itself)."""
    from .services import version_process

    return version_process(version_id=version_id)


@task()
def judging_email_send(kind: str, object_id: int) -> bool:
    """Enqueued after a judging change commits: an invitation, a "you are on the panel" note, a reminder."""
    from .judging.emails import send

    return send(kind, object_id)
