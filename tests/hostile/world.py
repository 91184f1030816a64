"""One small site with an object of every kind, set up through the services as the app sets them up: the
ground for the injection crawl and the IDOR matrix.

A victim participant owns an attempt, a score, an entry and its media, forum posts and a certificate; a judge
of the organising organisation is assigned the entry; an attacker participant and an organiser of another
organisation own nothing of it. Every text that a person types carries ``PAYLOAD``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from contests import services as contest_services
from contests.models import Event, Organisation
from forums import services as forum_services
from forums.models import Report
from forums.notifications import unsubscribe_token
from judging import services as judging
from judging.models import Assignment
from leaderboard import results as results_services
from leaderboard.models import Certificate
from leaderboard.services import score_record
from live import services as live_services
from quizzes import services as quiz_services
from quizzes.importing.base import ParsedChoice, ParsedQuestion

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>[x](javascript:alert(1))"
SHORT_PAYLOAD = "<i onclick=alert(1)>"  # a live nickname has at most 20 characters


@dataclass
class World:
    users: dict = field(default_factory=dict)  # role → user
    objects: dict = field(default_factory=dict)  # name → model instance or value


def _image() -> SimpleUploadedFile:
    from .test_uploads import real_image

    return SimpleUploadedFile("q.png", real_image(), content_type="image/png")


def build(
    *,
    organisation,
    organiser,
    other_organiser,
    make_user,
    complete_profile,
    make_event,
    make_forum,
    judging_round,
    make_entry,
    make_judge,
    marks_for,
    now,
) -> World:
    world = World()
    victim = make_user("victim@example.vn", profile={**complete_profile("+84912000901"), "full_name": PAYLOAD})
    attacker = make_user("attacker@example.vn", profile=complete_profile("+84912000902"))
    world.users.update(victim=victim, attacker=attacker, organiser=organiser, other_organiser=other_organiser)
    Organisation.objects.filter(pk=organisation.pk).update(name=f"Sở {PAYLOAD}"[:200])
    world.objects["organisation"] = organisation
    world.objects["other_organisation"] = Organisation.objects.exclude(pk=organisation.pk).get()

    _quiz(world, organisation, organiser, make_event, victim)
    _reading(world, judging_round, make_entry, make_judge, marks_for, victim)
    _forum(world, make_forum, organiser, victim, attacker, now)
    _results(world, make_event, organiser, victim, now)
    return world


def _quiz(world, organisation, organiser, make_event, victim) -> None:
    bank = quiz_services.bank_create(organisation=organisation, title=f"Ngân hàng {PAYLOAD}", is_public=False)
    questions = [
        ParsedQuestion(
            where="1",
            type="single",
            text=f"Câu {PAYLOAD}",
            choices=[ParsedChoice(f"Đúng {PAYLOAD}", True), ParsedChoice("Sai", False)],
            topic=f"Chủ đề {PAYLOAD}"[:120],
            explanation=f"Vì {PAYLOAD}",
            resource_url="https://khonggianmang.vn",
            resource_title=f"Tài liệu {PAYLOAD}",
        ),
        ParsedQuestion(where="2", type="short_text", text=f"Gõ {PAYLOAD}", choices=[ParsedChoice("OTP", True)]),
    ]
    quiz_services.questions_import(bank=bank, questions=questions)
    question = bank.questions.order_by("pk").first()
    parsed = quiz_services.question_to_parsed(question)
    quiz_services.question_save(bank=bank, parsed=parsed, question=question, image=_image())  # before approval
    from quizzes.review import questions_approve_as_system

    questions_approve_as_system(questions=bank.questions.all(), comment="test data")
    public_bank = quiz_services.bank_create(organisation=organisation, title=f"Luyện tập {PAYLOAD}", is_public=True)
    quiz_services.questions_import(bank=public_bank, questions=questions)
    from quizzes.review import questions_approve_as_system

    questions_approve_as_system(questions=public_bank.questions.all(), comment="test data")
    quiz = quiz_services.quiz_create(
        organisation=organisation,
        bank=bank,
        title=f"Đề {PAYLOAD}",
        question_ids=list(bank.questions.values_list("pk", flat=True)),
    )
    event = make_event(
        state=Event.State.DRAFT,
        rounds=1,
        title=f"Cuộc thi {PAYLOAD}",
        summary=PAYLOAD,
        description=PAYLOAD,
        rules=PAYLOAD,
    )
    rnd = event.rounds.get()
    contest_services.round_update(rnd=rnd, fields={"description": PAYLOAD})
    quiz_round = quiz_services.quiz_round_configure(
        rnd=rnd, quiz=quiz, settings={"time_limit_s": 600, "attempts_allowed": 2, "feedback": "immediate"}
    )
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=organiser)
    attempt = quiz_services.attempt_start(quiz_round=quiz_round, user=victim)
    for item in attempt.items.order_by("position"):
        response = "OTP" if item.question.type == "short_text" else item.question.choices.order_by("pk")[0].pk
        quiz_services.attempt_answer(attempt_id=attempt.pk, user=victim, position=item.position, response=response)
    quiz_services.attempt_submit(attempt_id=attempt.pk, user=victim)
    session = live_services.session_create(quiz=quiz, host=organiser)
    live_services.player_join(session=session, nickname=SHORT_PAYLOAD, user=victim)
    world.objects.update(
        bank=bank,
        public_bank=public_bank,
        question=question,
        quiz=quiz,
        quiz_event=event,
        quiz_round=rnd,
        attempt=attempt,
        live_session=session,
    )


def _reading(world, judging_round, make_entry, make_judge, marks_for, victim) -> None:
    reading_round = judging_round()
    entry = make_entry(reading_round, victim, title=f"Bài {PAYLOAD}")
    from submissions import services as reading_services

    reading_services.entry_update(entry=entry, fields={"note": PAYLOAD})
    judge = make_judge(reading_round, "judge-w@example.vn")
    other_judge = make_judge(reading_round, "judge-x@example.vn")
    judging.assignments_fill(reading_round=reading_round)
    assignment = Assignment.objects.filter(entry=entry, judge=judge).first()
    judging.score_save(assignment=assignment, marks=marks_for(reading_round, 8, None), comment=PAYLOAD, submit=False)
    invitation = judging.judge_invite(
        reading_round=reading_round, email="invited@example.vn", by=world.users["organiser"]
    )
    world.users.update(judge=judge.user, other_judge=other_judge.user)
    world.objects.update(
        reading_round=reading_round,
        entry=entry,
        version=entry.versions.get(),
        assignment=assignment,
        round_judge=judge,
        invitation=invitation,
    )


def _forum(world, make_forum, organiser, victim, attacker, now) -> None:
    forum = make_forum(title=f"Diễn đàn {PAYLOAD}", live_round=True)
    topic = forum_services.topic_create(event=forum, author=victim, title=f"Chủ đề {PAYLOAD}", body=PAYLOAD, now=now)
    reply = forum_services.post_create(
        topic=topic, author=victim, body=f"Trả lời {PAYLOAD}", now=now + dt.timedelta(minutes=5)
    )
    forum_services.report_create(post=reply, reporter=attacker, reason=Report.Reason.OTHER, note=PAYLOAD)
    resource = forum_services.resource_add(
        event=forum, by=organiser, title=f"Tài liệu {PAYLOAD}", url="https://khonggianmang.vn", note=PAYLOAD
    )
    world.objects.update(
        forum=forum,
        topic=topic,
        post=reply,
        resource=resource,
        live_round=forum.rounds.get(kind="live"),
        forum_round=forum.rounds.get(kind="forum"),
        unsubscribe=unsubscribe_token(user_id=victim.pk, topic_id=topic.pk),
    )


def _results(world, make_event, organiser, victim, now) -> None:
    event = make_event(state=Event.State.OPEN, rounds=1, title=f"Kết quả {PAYLOAD}")
    rnd = event.rounds.get()
    score_record(rnd=rnd, user=victim, points=Decimal(9), max_points=Decimal(10), submitted_at=now)
    contest_services.event_transition(event=event, to_state=Event.State.CLOSED, by=organiser)
    result_set = results_services.results_publish(event=event, by=organiser, prizes={"first": 1})
    results_services.certificates_issue(result_set=result_set, participation=True)
    from appeals import services as appeal_services

    appeal_services.appeal_policy_set(rnd=rnd, days=7, max_per_round=3)
    appeal = appeal_services.appeal_create(rnd=rnd, user=victim, kind="score", text=f"Phúc khảo {PAYLOAD}")
    world.objects.update(
        results_event=event,
        results_round=rnd,
        certificate=Certificate.objects.filter(row__user=victim).first(),
        appeal=appeal,
    )
