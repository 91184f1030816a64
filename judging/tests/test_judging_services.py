"""Judging services: rubric, panel and invitations, assignment, scores, conflicts, extra judges, two stages,
finalisation on the leaderboard and ``verify_results``. Data is set up through the services."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from contests.models import Membership, Organisation
from judging import emails
from judging import selectors as judging_selectors
from judging import services as judging
from judging.models import Assignment, Criterion, JudgeInvitation, JudgeScore, RoundJudge
from leaderboard.models import BoardConfig, Score
from submissions import services

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def rr(judging_round):
    return judging_round()


@pytest.fixture
def school(db):
    return Organisation.objects.create(name="Trường THCS Lê Lợi", slug="thcs-le-loi")


def _active(entry, stage=1):
    return set(
        Assignment.objects.filter(entry=entry, stage=stage, state=Assignment.State.ACTIVE).values_list(
            "judge__user__email", flat=True
        )
    )


def _loads(reading_round, stage=1):
    return [
        Assignment.objects.filter(judge=j, stage=stage, state=Assignment.State.ACTIVE).count()
        for j in RoundJudge.objects.filter(reading_round=reading_round)
    ]


# --- Rubric ------------------------------------------------------------------------------------------


def test_rubric_is_replaced_in_order_and_locked_once_a_score_is_submitted(
    rr, make_judge, make_reader, make_entry, marks_for
):
    first, second = Criterion.objects.filter(reading_round=rr).order_by("position")
    judging.rubric_save(
        reading_round=rr,
        items=[
            {"id": second.pk, "name": "Diễn cảm", "description": "", "max_points": 20, "weight": 1},
            {"name": "Trình bày", "description": "", "max_points": 5, "weight": 2},
        ],
    )
    criteria = judging_selectors.criteria(reading_round=rr)
    assert [(c.name, c.position) for c in criteria] == [("Diễn cảm", 0), ("Trình bày", 1)]
    assert criteria[0].pk == second.pk and not Criterion.objects.filter(pk=first.pk).exists()
    with pytest.raises(judging.JudgingError):
        judging.rubric_save(reading_round=rr, items=[])
    with pytest.raises(judging.JudgingError):
        judging.rubric_save(reading_round=rr, items=[{"name": "x", "max_points": 10, "weight": 0}])

    judge = make_judge(rr, "gk@example.vn")
    entry = make_entry(rr, make_reader())
    judging.assignments_fill(reading_round=rr)
    assignment = Assignment.objects.get(entry=entry, judge=judge)
    judging.score_save(assignment=assignment, marks=marks_for(rr, 10, 5), submit=True)
    with pytest.raises(judging.JudgingError):
        judging.rubric_save(reading_round=rr, items=[{"name": "Khác", "max_points": 10, "weight": 1}])


# --- Panel and invitations ----------------------------------------------------------------------------------


def test_inviting_an_account_seats_them_as_a_judge_and_emails_them(
    rr, make_user, organiser, django_capture_on_commit_callbacks
):
    user = make_user("Co.Giao@Example.vn")
    with django_capture_on_commit_callbacks(execute=True):
        judge = judging.judge_invite(reading_round=rr, email="co.giao@example.vn", by=organiser)
    assert isinstance(judge, RoundJudge) and judge.user == user
    assert Membership.objects.filter(
        user=user, organisation=rr.round.event.organisation, role=Membership.Role.JUDGE
    ).exists()
    job = DBTaskResult.objects.get(task_path__endswith="judging_email_send")
    assert job.args_kwargs["args"] == [emails.ADDED, judge.pk]
    assert emails.send(emails.ADDED, judge.pk) is True
    assert mail.outbox[-1].to == [user.email]
    assert f"/judging/rounds/{rr.round_id}/" in mail.outbox[-1].body


def test_an_address_without_account_gets_an_invitation_accepted_with_that_verified_address(
    rr, make_user, organiser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = judging.judge_invite(reading_round=rr, email="New.Judge@example.vn", by=organiser)
    assert isinstance(invitation, JudgeInvitation) and invitation.email == "new.judge@example.vn"
    assert emails.send(emails.INVITATION, invitation.pk) is True
    message = mail.outbox[-1]
    assert message.to == ["new.judge@example.vn"] and f"/judging/invitations/{invitation.token}/" in message.body
    assert "/accounts/signup/" in message.body

    stranger = make_user("stranger@example.vn")
    with pytest.raises(judging.JudgingError):
        judging.invitation_accept(token=invitation.token, user=stranger)
    newcomer = make_user("new.judge@example.vn")
    judge = judging.invitation_accept(token=invitation.token, user=newcomer)
    assert judge.reading_round == rr and judge.invited_by == organiser
    assert judging.invitation_accept(token=invitation.token, user=newcomer) == judge  # twice is harmless
    with pytest.raises(judging.JudgingError):
        judging.invitation_accept(token=invitation.token, user=stranger)
    assert emails.send(emails.INVITATION, invitation.pk) is False  # accepted: nothing more to send


def test_participants_cannot_judge_and_judges_cannot_enter(rr, make_reader, make_entry, make_judge, organiser, now):
    reader = make_reader("docgia@example.vn")
    make_entry(rr, reader)
    with pytest.raises(judging.JudgingError):
        judging.judge_invite(reading_round=rr, email="docgia@example.vn", by=organiser)
    judge_user = make_judge(rr, "gk@example.vn").user
    # a judge of the round: refused at entry (membership of the organising organisation, and the panel)
    assert services.entry_problems(reading_round=rr, user=judge_user, now=now)
    Membership.objects.filter(user=judge_user).delete()
    with translation.override("en"):
        assert services.entry_problems(reading_round=rr, user=judge_user, now=now) == [
            "Members of the organising committee and judges cannot take part in their own event."
        ]


# --- Assignment ------------------------------------------------------------------------------------------


def test_automatic_assignment_is_balanced_conflict_free_and_stable(
    judging_round, make_reader, make_entry, make_judge, school
):
    rr = judging_round(judges_per_entry=2)
    entries = [make_entry(rr, make_reader(organisation=school if i < 2 else None)) for i in range(5)]
    make_judge(rr, "a@example.vn", organisation=school)
    make_judge(rr, "b@example.vn")
    make_judge(rr, "c@example.vn")
    plan = judging.assignments_fill(reading_round=rr)
    assert not plan.short and len(plan.pairs) == 10
    for index, entry in enumerate(entries):
        assert len(_active(entry)) == 2
        if index < 2:
            assert "a@example.vn" not in _active(entry)  # the judge's own school
    loads = _loads(rr)
    assert max(loads) - min(loads) <= 2 and sum(loads) == 10
    before = set(Assignment.objects.values_list("entry_id", "judge_id"))
    make_judge(rr, "d@example.vn")
    assert judging.assignments_fill(reading_round=rr).pairs == []
    assert set(Assignment.objects.values_list("entry_id", "judge_id")) == before


def test_without_conflicts_loads_differ_by_at_most_one(judging_round, make_reader, make_entry, make_judge):
    rr = judging_round(judges_per_entry=2)
    for _ in range(5):
        make_entry(rr, make_reader())
    for name in "abc":
        make_judge(rr, f"{name}@example.vn")
    judging.assignments_fill(reading_round=rr)
    loads = _loads(rr)
    assert sorted(loads) == [3, 3, 4]


def test_rejected_entries_and_entries_without_a_playable_recording_are_not_assigned(
    rr, make_reader, make_entry, make_judge, organiser
):
    rejected = make_entry(rr, make_reader())
    services.entries_moderate(entries=[rejected], action="reject", reason="Sai đề", by=organiser)
    waiting = make_entry(rr, make_reader(), process=False)
    make_judge(rr, "a@example.vn")
    judging.assignments_fill(reading_round=rr)
    assert not Assignment.objects.filter(entry__in=[rejected, waiting]).exists()


def test_declared_organisations_and_people_are_respected(rr, make_reader, make_entry, make_judge, school):
    by_school = make_entry(rr, make_reader(organisation=school))
    relative = make_entry(rr, make_reader("con.gai@example.vn"))
    other = make_entry(rr, make_reader())
    judge = make_judge(rr, "a@example.vn")
    judging.judge_update(judge=judge, stages="first", organisations=[school], emails_text="Con.Gai@example.vn\n")
    judging.assignments_fill(reading_round=rr)
    assert _active(by_school) == _active(relative) == set()
    assert _active(other) == {"a@example.vn"}


def test_a_conflict_declared_later_sends_unscored_entries_to_other_judges(
    rr, make_reader, make_entry, make_judge, school
):
    entry = make_entry(rr, make_reader(organisation=school))
    first = make_judge(rr, "a@example.vn")
    make_judge(rr, "b@example.vn")
    rr.judges_per_entry = 1
    rr.save()
    judging.assignments_fill(reading_round=rr)
    holder = RoundJudge.objects.get(assignments__entry=entry)
    judging.judge_update(judge=holder, stages="first", organisations=[school], emails_text="")
    assert _active(entry) == {({"a@example.vn", "b@example.vn"} - {holder.user.email}).pop()}
    assert first.pk in RoundJudge.objects.values_list("pk", flat=True)


def test_manual_reassignment(rr, make_reader, make_entry, make_judge, organiser, marks_for):
    entry = make_entry(rr, make_reader())
    a = make_judge(rr, "a@example.vn")
    b = make_judge(rr, "b@example.vn")
    assignment = judging.assignment_add(entry=entry, judge=a, by=organiser)
    with pytest.raises(judging.JudgingError):
        judging.assignment_add(entry=entry, judge=a, by=organiser)
    judging.assignment_withdraw(assignment=assignment)
    judging.assignment_add(entry=entry, judge=b, by=organiser)
    assert _active(entry) == {"b@example.vn"}
    with pytest.raises(judging.JudgingError):  # the withdrawn judge is not given it back automatically
        judging.assignment_add(entry=entry, judge=a, by=organiser)
    scored = Assignment.objects.get(entry=entry, judge=b)
    judging.score_save(assignment=scored, marks=marks_for(rr, 5, 5), submit=True)
    with pytest.raises(judging.JudgingError):
        judging.assignment_withdraw(assignment=scored)


# --- Scores ----------------------------------------------------------------------------------------------


@pytest.fixture
def one_assignment(rr, make_reader, make_entry, make_judge, organiser):
    entry = make_entry(rr, make_reader())
    judge = make_judge(rr, "a@example.vn")
    return judging.assignment_add(entry=entry, judge=judge, by=organiser)


def test_draft_then_submit_then_amend_leaves_one_score(rr, one_assignment, marks_for, now):
    draft = judging.score_save(
        assignment=one_assignment, marks=marks_for(rr, 7, None), comment=" Hơi nhanh ", submit=False, now=now
    )
    assert draft.total is None and not draft.is_submitted and draft.comment == "Hơi nhanh"
    with pytest.raises(judging.JudgingError):
        judging.score_save(assignment=one_assignment, marks=marks_for(rr, 7, None), submit=True)
    submitted = judging.score_save(assignment=one_assignment, marks=marks_for(rr, 7, 8), submit=True, now=now)
    assert submitted.total == D("37.00") and submitted.submitted_at == now
    again = judging.score_save(
        assignment=one_assignment, marks=marks_for(rr, 7, 8), submit=True, now=now + dt.timedelta(minutes=1)
    )
    assert again.pk == submitted.pk and again.submitted_at == now  # idempotent
    amended = judging.score_save(assignment=one_assignment, marks=marks_for(rr, 9, 8), submit=True)
    assert amended.pk == submitted.pk and amended.total == D("43.00")
    assert JudgeScore.objects.count() == 1 and amended.marks.count() == 2
    with pytest.raises(judging.JudgingError):
        judging.score_save(assignment=one_assignment, marks=marks_for(rr, 9, 8), submit=False)
    with pytest.raises(judging.JudgingError):
        judging.score_save(assignment=one_assignment, marks=marks_for(rr, 11, 8), submit=True)


def test_the_database_keeps_one_score_per_assignment_and_one_assignment_per_judge_and_entry(rr, one_assignment, now):
    JudgeScore.objects.create(assignment=one_assignment, updated_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        JudgeScore.objects.create(assignment=one_assignment, updated_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            entry=one_assignment.entry, judge=one_assignment.judge, stage=1, created_at=now, state="withdrawn"
        )


@pytest.mark.parametrize(
    ("opens", "closes", "allowed"),
    [(-1, 1, True), (1, 2, False), (-2, -1, False), (None, None, True), (None, -1, False)],
)
def test_judges_score_only_inside_the_judging_window(rr, one_assignment, marks_for, now, opens, closes, allowed):
    hours = dt.timedelta(hours=1)
    rr.submission_deadline = None
    rr.judging_opens_at = None if opens is None else now + opens * hours
    rr.judging_closes_at = None if closes is None else now + closes * hours
    rr.save()
    one_assignment.refresh_from_db()
    if allowed:
        judging.score_save(assignment=one_assignment, marks=marks_for(rr, 1, 1), submit=True, now=now)
    else:
        with pytest.raises(judging.JudgingError):
            judging.score_save(assignment=one_assignment, marks=marks_for(rr, 1, 1), submit=True, now=now)


def test_no_scoring_after_finalisation(rr, one_assignment, marks_for):
    judging.judging_finalise(reading_round=rr)
    one_assignment.refresh_from_db()
    with pytest.raises(judging.JudgingError):
        judging.score_save(assignment=one_assignment, marks=marks_for(rr, 1, 1), submit=True)


def test_declaring_a_conflict_returns_the_entry_to_the_pool(
    judging_round, make_reader, make_entry, make_judge, marks_for
):
    rr = judging_round(judges_per_entry=1)
    author = make_reader("tac.gia@example.vn")
    entry, second_entry = make_entry(rr, author), make_entry(rr, author)
    a = make_judge(rr, "a@example.vn")
    judging.assignments_fill(reading_round=rr)  # a is alone: a has both
    make_judge(rr, "b@example.vn")
    assignment = Assignment.objects.get(entry=entry, judge=a, state="active")
    judging.score_save(assignment=assignment, marks=marks_for(rr, 3, None), submit=False)
    judging.conflict_declare(assignment=assignment)
    assignment.refresh_from_db()
    a.refresh_from_db()
    assert assignment.state == Assignment.State.CONFLICT
    assert "tac.gia@example.vn" in a.declared_emails
    # the entry, and the author's other entry, went to b
    assert _active(entry) == {"b@example.vn"} and _active(second_entry) == {"b@example.vn"}
    judging.assignments_fill(reading_round=rr)
    assert _active(entry) == {"b@example.vn"}  # never back to a
    assert judging_selectors.round_results(reading_round=rr).first.entries[entry.pk].raw == {}


def test_strong_disagreement_calls_one_extra_judge_automatically(
    judging_round, make_reader, make_entry, make_judge, marks_for
):
    rr = judging_round(judges_per_entry=2, extra_judge_on_disagreement=True)
    entry = make_entry(rr, make_reader())
    for name in "abc":
        make_judge(rr, f"{name}@example.vn")
    judging.assignments_fill(reading_round=rr)
    first, second = Assignment.objects.filter(entry=entry)
    judging.score_save(assignment=first, marks=marks_for(rr, 10, 10), submit=True)  # 50
    assert Assignment.objects.filter(entry=entry).count() == 2  # not every judge has scored yet
    judging.score_save(assignment=second, marks=marks_for(rr, 2, 2), submit=True)  # 10: spread 40 > 12.5
    extra = Assignment.objects.get(entry=entry, extra=True)
    assert extra.judge.user.email not in {first.judge.user.email, second.judge.user.email}
    judging.score_save(assignment=extra, marks=marks_for(rr, 0, 0), submit=True)
    assert Assignment.objects.filter(entry=entry).count() == 3  # once per entry


def test_one_click_extra_judge(rr, make_reader, make_entry, make_judge, organiser):
    entry = make_entry(rr, make_reader())
    a = make_judge(rr, "a@example.vn")
    judging.assignment_add(entry=entry, judge=a, by=organiser)
    with pytest.raises(judging.JudgingError):
        judging.extra_judge_add(entry=entry, by=organiser)  # nobody else on the panel
    make_judge(rr, "b@example.vn")
    extra = judging.extra_judge_add(entry=entry, by=organiser)
    assert extra.extra and extra.judge.user.email == "b@example.vn"


# --- Reminders --------------------------------------------------------------------------------------------


def test_reminders_go_to_judges_with_entries_left(
    rr, make_reader, make_entry, make_judge, marks_for, now, django_capture_on_commit_callbacks
):
    entry = make_entry(rr, make_reader())
    a, b = make_judge(rr, "a@example.vn"), make_judge(rr, "b@example.vn")
    judging.assignment_add(entry=entry, judge=a, by=None)
    done = judging.assignment_add(entry=entry, judge=b, by=None)
    judging.score_save(assignment=done, marks=marks_for(rr, 1, 1), submit=True)
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert judging.reminders_send(reading_round=rr, now=now) == 1
    a.refresh_from_db()
    assert a.reminded_at == now
    assert list(DBTaskResult.objects.values_list("args_kwargs", flat=True)) == [
        {"args": [emails.REMINDER, a.pk], "kwargs": {}}
    ]
    assert emails.send(emails.REMINDER, a.pk) is True
    assert mail.outbox[-1].to == ["a@example.vn"] and "1" in mail.outbox[-1].subject
    assert emails.send(emails.REMINDER, b.pk) is False


# --- Stages, finalisation, verify_results -------------------------------------------------------------------


def _score_all(rr, marks_for, table):
    """``table``: {entry: {judge email: (mark1, mark2)}} — assigns by hand and submits."""
    for entry, by_judge in table.items():
        for email, values in by_judge.items():
            judge = RoundJudge.objects.get(reading_round=rr, user__email=email)
            assignment = Assignment.objects.filter(entry=entry, judge=judge, stage=rr.judging_stage).first()
            if assignment is None:
                assignment = judging.assignment_add(entry=entry, judge=judge, by=None)
            judging.score_save(assignment=assignment, marks=marks_for(rr, *values), submit=True)


def test_finalising_records_each_author_s_best_entry_on_the_leaderboard(
    judging_round, make_reader, make_entry, make_judge, marks_for, organiser, now
):
    rr = judging_round(
        voting_enabled=True,
        voting_opens_at=now - dt.timedelta(hours=1),
        voting_closes_at=now + dt.timedelta(days=1),
        vote_weight="0.20",
    )
    an, binh, chi = make_reader(), make_reader(), make_reader()
    an1, an2, binh1 = make_entry(rr, an), make_entry(rr, an), make_entry(rr, binh)
    make_entry(rr, chi)  # never scored: no final score
    for name in "ab":
        make_judge(rr, f"{name}@example.vn")
    _score_all(
        rr,
        marks_for,
        {
            an1: {"a@example.vn": (8, 5), "b@example.vn": (6, 5)},
            an2: {"a@example.vn": (10, 10)},
            binh1: {"b@example.vn": (5, 5)},
        },
    )  # totals: an1 34 and 28 → 31; an2 50; binh1 25
    services.entries_moderate(entries=[an1, binh1], action="approve", by=organiser)
    voter = make_reader()
    binh1.refresh_from_db()
    services.vote_cast(entry=binh1, user=voter)  # binh1 has the most votes (1): V = 1
    recorded = judging.judging_finalise(reading_round=rr, by=organiser, now=now)
    # final = J × 0.8 + V × 50 × 0.2: an2 40.00 (beats an1 24.80), binh1 20 + 10 = 30.00
    assert recorded == {an.pk: D("40.00"), binh.pk: D("30.00")}
    scores = {s.user_id: s for s in Score.objects.filter(round=rr.round)}
    assert set(scores) == {an.pk, binh.pk}
    assert scores[an.pk].points == D("40.00") and scores[an.pk].max_points == D("50.00")
    assert scores[an.pk].submitted_at == an2.created_at
    assert BoardConfig.objects.get(round=rr.round).chain == judging.BOARD_CHAIN
    rr.refresh_from_db()
    assert rr.judging_finalised_at == now
    with pytest.raises(judging.JudgingError):
        judging.judging_finalise(reading_round=rr)

    out = io.StringIO()
    call_command("verify_results", rr.round_id, stdout=out)
    assert "2 participants recomputed, 0 differences" in out.getvalue()
    Score.objects.filter(round=rr.round, user=an).update(points=D("41.00"))
    with pytest.raises(CommandError):
        call_command("verify_results", rr.round_id, stdout=io.StringIO())


def test_verify_results_on_an_unfinalised_reading_round_finds_nothing_recorded(rr):
    out = io.StringIO()
    call_command("verify_results", rr.round_id, stdout=out)
    assert "0 participants recomputed, 0 differences" in out.getvalue()


def test_two_stages_other_judges_score_the_top_entries(
    judging_round, make_reader, make_entry, make_judge, marks_for, organiser
):
    rr = judging_round(shortlist_size=2, final_judges_per_entry=1)
    entries = [make_entry(rr, make_reader()) for _ in range(4)]
    make_judge(rr, "a@example.vn", stages="first")
    make_judge(rr, "both@example.vn", stages="both")
    make_judge(rr, "final@example.vn", stages="final")
    _score_all(
        rr,
        marks_for,
        {
            entries[0]: {"a@example.vn": (10, 10)},  # 50
            entries[1]: {"both@example.vn": (9, 9)},  # 45
            entries[2]: {"a@example.vn": (8, 8)},  # 40
            entries[3]: {"both@example.vn": (5, 5)},  # 25
        },
    )
    finalists = judging.shortlist_close(reading_round=rr, by=organiser)
    rr.refresh_from_db()
    assert finalists == {entries[0].pk, entries[1].pk} and rr.in_final_stage
    stage2 = Assignment.objects.filter(stage=2)
    assert {(a.entry_id, a.judge.user.email) for a in stage2} == {
        (entries[0].pk, "both@example.vn"),  # "both" judged entries[1] in the shortlist: not again
        (entries[1].pk, "final@example.vn"),
    }
    old = Assignment.objects.get(entry=entries[2], stage=1)
    with pytest.raises(judging.JudgingError):  # the shortlist stage is over
        judging.score_save(assignment=old, marks=marks_for(rr, 1, 1), submit=True)
    for assignment in stage2:
        values = (6, 6) if assignment.entry_id == entries[0].pk else (7, 7)  # 30 and 35
        judging.score_save(assignment=assignment, marks=marks_for(rr, *values), submit=True)
    recorded = judging.judging_finalise(reading_round=rr, by=organiser)
    authors = {e.pk: e.user_id for e in entries}
    assert recorded[authors[entries[1].pk]] == D("35.00")
    assert recorded[authors[entries[0].pk]] == D("30.00")
    # non-finalists 40 and 25 scaled by 29.99 / 40 so that they stay below the finalists
    assert recorded[authors[entries[2].pk]] == D("29.99")
    assert recorded[authors[entries[3].pk]] == (D(25) * D("29.99") / D(40)).quantize(D("0.01"))
    out = io.StringIO()
    call_command("verify_results", rr.round_id, stdout=out)
    assert "0 differences" in out.getvalue()


def test_the_sweep_finalises_rounds_whose_judging_window_ended(rr, one_assignment, marks_for, now):
    judging.score_save(assignment=one_assignment, marks=marks_for(rr, 4, 4), submit=True, now=now)
    rr.judging_closes_at = now + dt.timedelta(hours=1)
    rr.save()
    assert judging.judging_sweep(now=now) == 0
    assert judging.judging_sweep(now=now + dt.timedelta(hours=2)) == 1
    assert Score.objects.get(round=rr.round).points == D("20.00")
    assert judging.judging_sweep(now=now + dt.timedelta(hours=3)) == 0


def test_after_finalisation_votes_and_the_vote_weight_are_fixed(
    judging_round, make_reader, make_entry, make_judge, marks_for, organiser, now
):
    from django.core.exceptions import ValidationError

    rr = judging_round(
        voting_enabled=True,
        voting_opens_at=now - dt.timedelta(hours=1),
        voting_closes_at=now + dt.timedelta(days=1),
        vote_weight="0.20",
    )
    entry = make_entry(rr, make_reader())
    judge = make_judge(rr, "a@example.vn")
    judging.score_save(
        assignment=judging.assignment_add(entry=entry, judge=judge, by=None), marks=marks_for(rr, 5, 5), submit=True
    )
    services.entries_moderate(entries=[entry], action="approve", by=organiser)
    judging.judging_finalise(reading_round=rr, by=organiser)
    entry.refresh_from_db()
    with pytest.raises(services.VoteError):
        services.vote_cast(entry=entry, user=make_reader())
    with pytest.raises(ValidationError):
        services.reading_round_configure(rnd=rr.round, settings={"vote_weight": "0.5"})
    services.reading_round_configure(rnd=rr.round, settings={"vote_weight": "0.2", "max_duration_s": 6})  # unchanged


def test_a_reading_round_is_published_only_once_judging_is_finalised(rr, one_assignment, marks_for, organiser):
    """Publishing before finalisation would freeze an empty board and make finalising impossible."""
    from django.core.exceptions import ValidationError

    from leaderboard import results

    judging.score_save(assignment=one_assignment, marks=marks_for(rr, 3, 4), submit=True)
    after_close = rr.round.closes_at + dt.timedelta(days=30)
    with pytest.raises(ValidationError):
        results.round_results_publish(rnd=rr.round, by=organiser, prizes={"first": 1}, now=after_close)
    judging.judging_finalise(reading_round=rr, by=organiser)
    published = results.round_results_publish(rnd=rr.round, by=organiser, prizes={"first": 1}, now=after_close)
    assert published.rows.count() == 1
