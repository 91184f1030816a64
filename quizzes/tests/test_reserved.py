"""Contest material: which questions stay out of practice and other people's games, and until when."""

import datetime as dt

from contests import services as contest_services
from leaderboard import results
from quizzes import services
from quizzes.selectors import bank_withheld_from_practice, question_is_reserved, reserved_questions


def test_questions_of_a_contest_round_are_reserved_until_its_results_are_public(quiz_round, organiser):
    question = quiz_round.quiz.items.first().question
    assert question_is_reserved(question=question)
    rnd = quiz_round.round
    contest_services.event_transition(event=rnd.event, to_state="closed", by=organiser)
    assert question_is_reserved(question=question), "closed is not published: corrections and appeals may follow"
    services.attempts_sweep(now=rnd.closes_at + dt.timedelta(seconds=quiz_round.grace_s + 1))
    results.round_results_publish(rnd=rnd, by=organiser, prizes={"first": 1}, now=rnd.closes_at + dt.timedelta(days=1))
    assert not question_is_reserved(question=question)


def test_a_sampled_quiz_reserves_every_question_its_rules_could_draw(quiz_round, bank):
    topic = bank.questions.exclude(topic="").first().topic
    quiz = services.quiz_create(organisation=bank.organisation, bank=bank, title="drawn", rules=[(topic, None, 1)])
    services.quiz_round_configure(rnd=quiz_round.round, quiz=quiz, settings={})
    reserved = set(reserved_questions().values_list("pk", flat=True))
    assert reserved == set(bank.questions.filter(topic=topic).values_list("pk", flat=True))


def test_the_organiser_is_told_which_rounds_withhold_a_public_bank(quiz_round, bank):
    withheld = bank_withheld_from_practice(bank=bank)
    assert withheld.count == bank.questions.count() and withheld.rounds == [quiz_round.round.title]
