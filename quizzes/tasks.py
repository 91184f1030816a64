"""Background jobs of the quizzes app (django-tasks, database backend, run by ``manage.py db_worker``)."""

from django_tasks import task


@task()
def close_expired_attempt(attempt_id: int) -> bool:
    """Scheduled at start for the deadline (plus grace): close the attempt if the browser never came back."""
    from django.utils import timezone

    from .models import Attempt
    from .services import attempt_close_if_expired

    attempt = Attempt.objects.select_related("quiz_round").filter(pk=attempt_id).first()
    if attempt is None:
        return False
    return attempt_close_if_expired(attempt=attempt, now=timezone.now())
