"""Background jobs of the judging app (django-tasks, database backend, run by ``manage.py db_worker``)."""

from django_tasks import task


@task()
def judging_email_send(kind: str, object_id: int) -> bool:
    """Enqueued after a judging change commits: an invitation, a "you are on the panel" note, a reminder."""
    from .emails import send

    return send(kind, object_id)
