"""Contest material: which questions stay out of practice and other people's games, and until when."""

import datetime as dt

from django.utils import timezone

from quizzes import services
from quizzes.selectors import question_is_reserved, reserved_questions


def test_questions_of_a_contest_round_are_reserved_until_the_round_is_over(quiz_round):
    rnd = quiz_round.round
    question = quiz_round.quiz.items.first().question
    before_close = rnd.closes_at - dt.timedelta(minutes=1)
    assert question_is_reserved(question=question, now=before_close)
    in_grace = rnd.closes_at + dt.timedelta(seconds=quiz_round.grace_s - 1)
    assert question_is_reserved(question=question, now=in_grace)
    after = rnd.closes_at + dt.timedelta(seconds=quiz_round.grace_s + 1)
    assert not question_is_reserved(question=question, now=after)


def test_a_sampled_quiz_reserves_every_question_its_rules_could_draw(quiz_round, bank):
    topic = bank.questions.exclude(topic="").first().topic
    quiz = services.quiz_create(organisation=bank.organisation, bank=bank, title="drawn", rules=[(topic, None, 1)])
    services.quiz_round_configure(rnd=quiz_round.round, quiz=quiz, settings={})
    now = timezone.now()
    reserved = set(reserved_questions(now=now).values_list("pk", flat=True))
    assert reserved == set(bank.questions.filter(topic=topic).values_list("pk", flat=True))
