"""Background jobs of the submissions app (django-tasks, database backend, run by ``manage.py db_worker``)."""

from django_tasks import task


@task()
def process_entry_version(version_id: int) -> str:
    """Transcode one received recording (retries and failures are recorded on the version itself)."""
    from .services import version_process

    return version_process(version_id=version_id)
