"""Background jobs of the notifications app (django-tasks, database backend, run by ``manage.py db_worker``)."""

from django_tasks import task


@task()
def deliver_notifications(kind: str, key: str) -> int:
    """Enqueued after a notification commits: e-mail it and send it to the phone channels, one job for all the
    people notified of one thing (a publication notifies hundreds at once)."""
    from .services import notifications_deliver_pending

    return notifications_deliver_pending(kind=kind, key=key)
