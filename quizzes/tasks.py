"""Background jobs of the quizzes app (django-tasks, database backend, run by ``manage.py db_worker``)."""

from django_tasks import task

# Closing attempts and releasing rounds are due at a precise moment: they have a queue of their own, with
# its own worker, so that they never wait behind a read-aloud transcode of several minutes.
ATTEMPTS_QUEUE = "attempts"


@task(queue_name=ATTEMPTS_QUEUE)
def close_expired_attempt(attempt_id: int) -> bool:
    """(Jobs queued by earlier versions, one per attempt.) Close the attempt if the browser never came back."""
    from django.utils import timezone

    from .models import Attempt
    from .services import attempt_close_if_expired

    attempt = Attempt.objects.select_related("quiz_round").filter(pk=attempt_id).first()
    if attempt is None:
        return False
    return attempt_close_if_expired(attempt=attempt, now=timezone.now())


@task(queue_name=ATTEMPTS_QUEUE)
def close_expired_attempts(quiz_round_id: int) -> int:
    """Scheduled at start, once per round and half-minute (``services.attempts._schedule_close``): close every attempt
    of the round whose deadline + grace has passed. ``close_expired_attempt`` above stays for jobs queued
    before this one existed."""
    from .models import QuizRound
    from .services import attempts_close_expired

    quiz_round = QuizRound.objects.filter(pk=quiz_round_id).first()
    return 0 if quiz_round is None else attempts_close_expired(quiz_round=quiz_round)


@task(queue_name=ATTEMPTS_QUEUE)
def release_quiz_round(quiz_round_id: int) -> bool:
    """Scheduled for the round's close plus grace: close the stragglers, then open the round's results."""
    from .models import QuizRound
    from .services import quiz_round_release_if_over

    quiz_round = QuizRound.objects.select_related("round").filter(pk=quiz_round_id).first()
    return quiz_round is not None and quiz_round_release_if_over(quiz_round=quiz_round)
