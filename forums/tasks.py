"""Background jobs of the forums app (django-tasks, database backend, run by ``manage.py db_worker``)."""

from django_tasks import task


@task()
def reply_email_send(post_id: int) -> bool:
    """Enqueued after a reply commits: e-mail the topic's author (unless they opted out or were just told)."""
    from .notifications import reply_notify

    return reply_notify(post_id=post_id)
