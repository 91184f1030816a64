"""Demo part of the live app: a live quiz of the demo contest in its lobby (after the quizzes demo, which
loads the contest bank: INSTALLED_APPS lists ``quizzes`` first)."""

from django.contrib.auth import get_user_model

from contests.models import Event, Organisation
from live.models import LiveSession
from live.services import session_create
from quizzes import services as quiz_services
from quizzes.demo import load_contest_bank
from quizzes.models import Quiz


def seed(*, stdout, now) -> None:
    """A live quiz in its lobby, ready for the organiser to host at the opening ceremony."""
    department = Organisation.objects.get(slug="so-gddt-thai-nguyen")
    bank = load_contest_bank(department)
    contest = Event.objects.get(slug="cong-dan-so-2023")
    live_round = contest.rounds.filter(kind="live").first()
    session = LiveSession.objects.filter(round=live_round).exclude(state=LiveSession.State.ENDED).first()
    if session is None:
        quiz = Quiz.objects.filter(title="Đố vui Lễ khai mạc").first() or quiz_services.quiz_create(
            organisation=department,
            bank=bank,
            title="Đố vui Lễ khai mạc",
            question_ids=list(
                bank.questions.filter(type__in=["single", "true_false"]).order_by("pk").values_list("pk", flat=True)[:8]
            ),
        )
        host = get_user_model().objects.get(email="organiser@demo.vn")
        session = session_create(quiz=quiz, host=host, rnd=live_round, question_time_s=20)
    stdout.write(
        f"live quiz ready to host: /live/{session.pk}/host/ (organiser@demo.vn), players join at /play/ "
        f"with PIN {session.pin}"
    )
