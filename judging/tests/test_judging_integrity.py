"""Blind means blind, and the judging window holds on the server (issue 13).

1. A judge of a blind round's panel cannot open the gallery (which names authors and groups beside the titles
   they score) until judging closes; no page a judge reaches carries the entrant's name, e-mail, group, unit or
   the name of the file they uploaded — nor do the media responses.
2. Every action a judge can POST (draft, submit, amend, declare a conflict, accept an invitation, vote) is
   refused outside the window, with a message, and changes nothing; inside the window it works.

Tests run through the pages (a direct POST, as a determined judge would send it) and set data up through the
services.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from conftest import served_status
from contests.models import Organisation
from judging import services as judging
from judging.models import Assignment, Criterion, CriterionMark, JudgeScore, RoundJudge
from submissions import services
from submissions.models import Vote

pytestmark = pytest.mark.django_db

AUTHOR_NAME = "Đinh Thị Kínđáo"
GROUP_NAME = "Nhóm Hoa Sứ Bímật"
MEMBER_NAME = "Lò Văn Thànhviênẩn"
UNIT_NAME = "Trường Tiểu học Suối Ẩn"
FILE_STEM = "DinhThiKindao_lop5A_truong-suoi-an"


@pytest.fixture
def unit(db):
    return Organisation.objects.create(name=UNIT_NAME, slug="th-suoi-an")


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def scene(judging_round, make_reader, make_judge, upload_of, media, unit, organiser):
    """A blind group round: one approved entry in the gallery, sent as a file whose name says who made it;
    judge a has it, judge b sits on the panel without it."""
    rr = judging_round(entrants="group", judges_per_entry=1)
    author = make_reader("kin.dao@example.vn", organisation=unit, full_name=AUTHOR_NAME)
    entry = services.entry_create(
        reading_round=rr,
        user=author,
        fields={
            "title": "Hạt giống tâm hồn",
            "note": "",
            "consent_publish": True,
            "group_name": GROUP_NAME,
            "group_members": MEMBER_NAME,
        },
        upload=upload_of(media["video_mp4"], f"{FILE_STEM}.mp4"),
        source="uploaded",
    )
    for version in entry.versions.all():
        services.version_process(version_id=version.pk)
    services.entries_moderate(entries=[entry], action="approve", by=organiser)
    entry.refresh_from_db()
    a = make_judge(rr, "judge.a@example.vn")
    judging.assignments_fill(reading_round=rr)
    b = make_judge(rr, "judge.b@example.vn")
    return {"rr": rr, "entry": entry, "author": author, "a": a, "b": b, "assignment": Assignment.objects.get()}


def _secrets(scene) -> list[str]:
    author = scene["author"]
    return [AUTHOR_NAME, "Kínđáo", author.email, author.username, GROUP_NAME, "Bímật", MEMBER_NAME, UNIT_NAME]


def _close(rr, now):
    rr.judging_closes_at = now - dt.timedelta(minutes=1)
    rr.save(update_fields=["judging_closes_at"])


# --- 1. Blind means blind ---------------------------------------------------------------------------------


def test_the_gallery_names_the_author_and_group_so_judges_of_the_panel_cannot_open_it(client, scene, now):
    """The baseline that makes the rule necessary, then the rule: 403 for both judges, until judging closes."""
    url = reverse("reading_gallery", args=[scene["rr"].round_id])
    public = client.get(url).content.decode()
    assert GROUP_NAME in public  # the gallery names the group (and the author, as they chose) by the title
    for judge in (scene["a"], scene["b"]):
        client.force_login(judge.user)
        response = client.get(url)
        assert response.status_code == 403
        html = response.content.decode()
        assert 'id="blindfold"' in html
        for secret in _secrets(scene):
            assert secret not in html, secret
    _close(scene["rr"], now)
    assert client.get(url).status_code == 200  # b's scoring has closed: the blindfold comes off


def test_finalising_lifts_the_blindfold_too(client, scene, marks_for):
    judging.score_save(assignment=scene["assignment"], marks=marks_for(scene["rr"], 5, 5), submit=True)
    judging.judging_finalise(reading_round=scene["rr"])
    client.force_login(scene["a"].user)
    assert client.get(reverse("reading_gallery", args=[scene["rr"].round_id])).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "participant", "organiser", "admin_user", "other_organiser"])
def test_people_who_do_not_judge_the_round_still_open_its_gallery(client, scene, who, request, make_reader):
    if who == "participant":
        client.force_login(make_reader())
    elif who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("reading_gallery", args=[scene["rr"].round_id])).status_code == 200


def test_an_organiser_who_sits_on_the_panel_is_a_judge_for_this_rule(client, scene, organiser):
    judging.judge_invite(reading_round=scene["rr"], email=organiser.email, by=organiser)
    client.force_login(organiser)
    assert client.get(reverse("reading_gallery", args=[scene["rr"].round_id])).status_code == 403


def test_a_round_that_is_not_blind_keeps_its_gallery_open_to_judges(client, scene):
    scene["rr"].blind_judging = False
    scene["rr"].save(update_fields=["blind_judging"])
    client.force_login(scene["a"].user)
    assert client.get(reverse("reading_gallery", args=[scene["rr"].round_id])).status_code == 200


def test_no_page_a_judge_reaches_names_the_entrant_the_group_or_the_file(client, fetch_media, scene, marks_for, now):
    rr, assignment, judge = scene["rr"], scene["assignment"], scene["a"]
    version = scene["entry"].current
    assert version.original_name.startswith(FILE_STEM)  # stored for the organisers, nowhere else
    client.force_login(judge.user)
    urls = [
        reverse("judging_home"),
        reverse("judging_queue", args=[rr.round_id]),
        reverse("judging_score", args=[assignment.pk]),
        reverse("reading_round", args=[rr.round_id]),
        reverse("reading_gallery", args=[rr.round_id]),  # the refusal page
    ]
    judging.score_save(assignment=assignment, marks=marks_for(rr, 7, 8), comment="Rõ ràng", submit=True)
    pages = {url: client.get(url) for url in urls}
    _close(rr, now)  # after the close the score page shows the panel's totals: still nobody's name
    pages["closed"] = client.get(reverse("judging_score", args=[assignment.pk]))
    for url, response in pages.items():
        assert response.status_code in (200, 403), url
        html = response.content.decode()
        for secret in [*_secrets(scene), FILE_STEM]:
            assert secret not in html, (url, secret)
    for part in ("media", "poster"):
        url = reverse("reading_media", args=[version.pk, part])
        assert FILE_STEM not in url
        assert client.get(url).status_code == served_status(), part  # the bytes, or a redirect to the bucket's
        response = fetch_media(url, through=client)
        assert response.status_code == 200 and "content-disposition" not in response.headers, part
        assert FILE_STEM.encode() not in response.body
        assert FILE_STEM not in response.redirected_to, "the signed URL names no file either"
    assert client.get(reverse("reading_media", args=[version.pk, "original"])).status_code == 404


# --- 2. The judging window, on the server ---------------------------------------------------------------------


def _marks_post(rr, values, action):
    criteria = Criterion.objects.filter(reading_round=rr).order_by("position")
    return {**{f"c{c.pk}": v for c, v in zip(criteria, values, strict=True)}, "comment": "", "action": action}


def _state(scene):
    """Everything a judge's POST could change."""
    judge = RoundJudge.objects.get(pk=scene["a"].pk)
    return (
        list(JudgeScore.objects.values_list("assignment_id", "total", "comment", "submitted_at", "updated_at")),
        sorted(CriterionMark.objects.values_list("score_id", "criterion_id", "value")),
        sorted(Assignment.objects.values_list("pk", "judge_id", "state")),
        judge.conflict_emails,
    )


def _move_window(rr, now, when):
    """``before``: judging opens tomorrow; ``after``: it closed a minute ago; ``finalised``; ``open``."""
    rr.submission_deadline = None
    if when == "before":
        rr.judging_opens_at, rr.judging_closes_at = now + dt.timedelta(days=1), now + dt.timedelta(days=2)
    elif when == "after":
        rr.judging_opens_at, rr.judging_closes_at = now - dt.timedelta(days=2), now - dt.timedelta(minutes=1)
    elif when == "open":
        rr.judging_opens_at, rr.judging_closes_at = now - dt.timedelta(days=1), now + dt.timedelta(days=1)
    rr.save(update_fields=["submission_deadline", "judging_opens_at", "judging_closes_at"])
    if when == "finalised":
        judging.judging_finalise(reading_round=rr)


REFUSALS = {
    "before": "Judging has not opened yet.",
    "after": "The judging window has closed.",
    "finalised": "Judging is finalised.",
}


@pytest.fixture
def submitted(scene, marks_for, make_judge):
    """a has submitted 7 + 8 (a total of 37); c could take the entry back."""
    judging.score_save(assignment=scene["assignment"], marks=marks_for(scene["rr"], 7, 8), submit=True)
    make_judge(scene["rr"], "judge.c@example.vn")
    return scene


@pytest.mark.parametrize("when", sorted(REFUSALS))
@pytest.mark.parametrize("action", ["draft", "submit"])
def test_a_first_score_or_draft_outside_the_window_is_refused_and_changes_nothing(english, scene, now, when, action):
    rr, assignment = scene["rr"], scene["assignment"]
    _move_window(rr, now, when)
    english.force_login(scene["a"].user)
    before = _state(scene)
    response = english.post(reverse("judging_score", args=[assignment.pk]), _marks_post(rr, ["9", "9"], action))
    assert response.status_code == 400 and REFUSALS[when] in response.content.decode()
    assert _state(scene) == before


@pytest.mark.parametrize("when", sorted(REFUSALS))
def test_amending_a_submitted_score_outside_the_window_is_refused_and_changes_nothing(english, submitted, now, when):
    rr, assignment = submitted["rr"], submitted["assignment"]
    _move_window(rr, now, when)
    english.force_login(submitted["a"].user)
    before = _state(submitted)
    response = english.post(reverse("judging_score", args=[assignment.pk]), _marks_post(rr, ["1", "1"], "submit"))
    assert response.status_code == 400 and REFUSALS[when] in response.content.decode()
    assert _state(submitted) == before


@pytest.mark.parametrize("when", sorted(REFUSALS))
def test_a_conflict_declared_outside_the_window_is_refused_and_the_score_stays(english, submitted, now, when):
    """The issue's attack: after the close the judge sees the other totals, then declares a conflict to take
    their own score out of the entry's mean. Refused before the window opens and once it is finalised too."""
    rr, assignment = submitted["rr"], submitted["assignment"]
    _move_window(rr, now, when)
    english.force_login(submitted["a"].user)
    before = _state(submitted)
    response = english.post(reverse("judging_conflict", args=[assignment.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("judging_score", args=[assignment.pk])
    assert REFUSALS[when] in [str(m) for m in get_messages(response.wsgi_request)]
    assert _state(submitted) == before


def test_the_service_refuses_a_conflict_after_the_window_whatever_calls_it(submitted, now):
    _move_window(submitted["rr"], now, "after")
    submitted["assignment"].refresh_from_db()
    with translation.override("en"), pytest.raises(judging.JudgingError, match="judging window has closed"):
        judging.conflict_declare(assignment=submitted["assignment"], now=now)
    assert Assignment.objects.get(pk=submitted["assignment"].pk).state == Assignment.State.ACTIVE


def test_a_conflict_on_a_stage_that_is_over_is_refused(judging_round, make_reader, make_entry, make_judge, marks_for):
    """Two stages: once the shortlist closed, a shortlist judge cannot drop their shortlist score either."""
    rr = judging_round(judges_per_entry=1, shortlist_size=2, final_judges_per_entry=1)
    entries = [make_entry(rr, make_reader()) for _ in range(3)]
    make_judge(rr, "first@example.vn")
    make_judge(rr, "final@example.vn", stages="final")
    judging.assignments_fill(reading_round=rr)
    for assignment in Assignment.objects.filter(stage=1):
        judging.score_save(assignment=assignment, marks=marks_for(rr, 5, 5), submit=True)
    judging.shortlist_close(reading_round=rr, by=None)
    first_stage = Assignment.objects.filter(stage=1, entry=entries[0]).get()
    with translation.override("en"), pytest.raises(judging.JudgingError, match="stage of judging is over"):
        judging.conflict_declare(assignment=first_stage)
    assert Assignment.objects.get(pk=first_stage.pk).state == Assignment.State.ACTIVE


@pytest.mark.parametrize("action", ["draft", "submit", "amend", "conflict"])
def test_inside_the_window_every_judge_action_works(english, scene, now, marks_for, make_judge, action):
    rr, assignment = scene["rr"], scene["assignment"]
    _move_window(rr, now, "open")
    if action == "amend":
        judging.score_save(assignment=assignment, marks=marks_for(rr, 7, 8), submit=True, now=now)
    make_judge(rr, "judge.c@example.vn")
    english.force_login(scene["a"].user)
    if action == "conflict":
        response = english.post(reverse("judging_conflict", args=[assignment.pk]))
        assert response["Location"] == reverse("judging_queue", args=[rr.round_id])
        assert Assignment.objects.get(pk=assignment.pk).state == Assignment.State.CONFLICT
        return
    response = english.post(
        reverse("judging_score", args=[assignment.pk]),
        _marks_post(rr, ["9", ""], "draft") if action == "draft" else _marks_post(rr, ["9", "9"], "submit"),
    )
    assert response.status_code == 302
    score = JudgeScore.objects.get(assignment=assignment)
    assert (score.total, score.is_submitted) == ((None, False) if action == "draft" else (45, True))


def test_an_invitation_cannot_be_accepted_once_the_window_has_closed(english, scene, make_user, organiser, now):
    invitation = judging.judge_invite(reading_round=scene["rr"], email="late@example.vn", by=organiser)
    _close(scene["rr"], now)
    english.force_login(make_user("late@example.vn"))
    response = english.post(reverse("judging_invitation", args=[invitation.token]))
    assert response.status_code == 200
    assert "its panel takes no new judges" in response.content.decode()
    assert not RoundJudge.objects.filter(user__email="late@example.vn").exists()


def test_a_judge_of_the_round_cannot_vote_in_its_public_vote(english, scene, now):
    rr = scene["rr"]
    rr.voting_enabled, rr.voting_opens_at, rr.voting_closes_at = (
        True,
        now - dt.timedelta(hours=1),
        now + dt.timedelta(days=1),
    )
    rr.save(update_fields=["voting_enabled", "voting_opens_at", "voting_closes_at"])
    english.force_login(scene["b"].user)
    rr.blind_judging = False  # so that the judge sees the gallery: no vote button there
    rr.save(update_fields=["blind_judging"])
    html = english.get(reverse("reading_gallery", args=[rr.round_id])).content.decode()
    assert "Hạt giống tâm hồn" in html and 'name="vote"' not in html
    response = english.post(reverse("reading_vote", args=[scene["entry"].pk]))  # a direct POST
    assert response.status_code == 302
    assert "Judges of this round do not vote in its public vote." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
    assert not Vote.objects.exists()


# --- 3. Public votes: the scale is the most-voted entry still in the stage, scored or not -------------------------


def test_votes_are_normalised_by_the_most_voted_entry_still_in_the_stage(
    judging_round, make_reader, make_entry, make_judge, marks_for, organiser, now
):
    """Rule 5 (docs/judging.md): V = votes ÷ the most votes of any entry in the stage's judging — a playable
    recording, not rejected — scored yet or not. A rejected entry keeps the votes it collected while it was in
    the gallery but no longer sets the scale; an entry the judges have not reached yet does, so that an
    entry's V depends on the votes alone, not on how far the judges got."""
    from judging import selectors as judging_selectors

    rr = judging_round(
        voting_enabled=True,
        voting_opens_at=now - dt.timedelta(hours=1),
        voting_closes_at=now + dt.timedelta(days=1),
        vote_weight="0.50",
    )
    rejected, unscored, scored = (make_entry(rr, make_reader()) for _ in range(3))
    services.entries_moderate(entries=[rejected, unscored, scored], action="approve", by=organiser)
    voters = [make_reader() for _ in range(3)]
    for entry, count in ((rejected, 3), (unscored, 2), (scored, 1)):
        entry.refresh_from_db()
        for voter in voters[:count]:
            services.vote_cast(entry=entry, user=voter, now=now)
    services.entries_moderate(entries=[rejected], action="reject", reason="Sai đề", by=organiser)
    judge = make_judge(rr, "a@example.vn")
    judging.score_save(
        assignment=judging.assignment_add(entry=scored, judge=judge, by=organiser),
        marks=marks_for(rr, 10, 10),
        submit=True,
    )
    first = judging_selectors.round_results(reading_round=rr).first
    assert rejected.pk not in first.entries and first.top_votes == 2
    assert first.entries[unscored.pk].vote_share == 1.0 and first.entries[unscored.pk].final is None
    # scored: J = 50, V = 1 ÷ 2 → final = 50 × 0.5 + 0.5 × 50 × 0.5 = 37.50
    assert first.entries[scored.pk].vote_share == 0.5 and first.entries[scored.pk].final == 37.5
