"""Judging pages: blindness on the judge's HTML, what judges see before and after the window, scoring through
the form (submit, draft, next entry, conflict), the organisers' boards and an entry's step-by-step score."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contests.models import Organisation
from judging import services as judging
from judging.models import Assignment, JudgeScore, RoundJudge
from submissions import services

pytestmark = pytest.mark.django_db

SECRET_NAME = "Trần Thị Bímật"


@pytest.fixture
def school(db):
    return Organisation.objects.create(name="Trường Tiểu học Hoa Ban", slug="th-hoa-ban")


@pytest.fixture
def scene(judging_round, make_reader, make_entry, make_judge, school, organiser):
    """A blind round: two entries (one of a group), judges a and b on both."""
    rr = judging_round(judges_per_entry=2, entrants="group")
    author = make_reader("bi.mat@example.vn", organisation=school, full_name=SECRET_NAME)
    entry = make_entry(rr, author, title="Bài đọc về an toàn mạng")
    group = make_entry(rr, make_reader(full_name="Phạm Văn Nhóm"), title="Nhóm đọc")
    services.entry_update(entry=group, fields={"group_name": "Nhóm Sen Hồng", "group_members": "Lê Văn Thànhviên"})
    a, b = make_judge(rr, "a@example.vn"), make_judge(rr, "b@example.vn")
    judging.assignments_fill(reading_round=rr)
    return {"rr": rr, "entry": entry, "group": group, "author": author, "a": a, "b": b}


def _assignment(scene, judge, entry):
    return Assignment.objects.get(judge=scene[judge], entry=scene[entry])


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _secrets(scene, regions):
    author = scene["author"]
    return [
        SECRET_NAME,
        "Bímật",
        author.email,
        author.username,
        "Trường Tiểu học Hoa Ban",
        author.profile.region.name,
        "Nhóm Sen Hồng",
        "Thànhviên",
        "Phạm Văn Nhóm",
    ]


def test_blind_judging_shows_no_name_organisation_region_or_group(client, scene, regions):
    judge = scene["a"].user
    pages = [
        _page(client, judge, reverse("judging_home")),
        _page(client, judge, reverse("judging_queue", args=[scene["rr"].round_id])),
        _page(client, judge, reverse("judging_score", args=[_assignment(scene, "a", "entry").pk])),
        _page(client, judge, reverse("judging_score", args=[_assignment(scene, "a", "group").pk])),
    ]
    for html in pages:
        for secret in _secrets(scene, regions):
            assert secret not in html, secret
    score_page = pages[2]
    assert scene["entry"].blind_code in score_page and "Bài đọc về an toàn mạng" in score_page
    media = reverse("reading_media", args=[scene["entry"].current_id, "media"])
    assert media in score_page and "original" not in score_page


def test_open_judging_shows_the_author_to_judges(client, scene):
    scene["rr"].blind_judging = False
    scene["rr"].save()
    html = _page(client, scene["a"].user, reverse("judging_score", args=[_assignment(scene, "a", "entry").pk]))
    assert SECRET_NAME in html and "Trường Tiểu học Hoa Ban" in html


def test_blind_codes_reveal_nothing_and_differ(scene):
    codes = {scene["entry"].blind_code, scene["group"].blind_code}
    assert len(codes) == 2 and all(c.startswith("#") and len(c) == 7 for c in codes)
    assert str(scene["entry"].pk) not in scene["entry"].blind_code[1:] or len(str(scene["entry"].pk)) < 2


def test_a_judge_sees_other_scores_and_votes_only_after_the_window(client, scene, marks_for, now):
    rr = scene["rr"]
    judging.score_save(assignment=_assignment(scene, "b", "entry"), marks=marks_for(rr, "7.5", 9), submit=True)
    mine = _assignment(scene, "a", "entry")
    url = reverse("judging_score", args=[mine.pk])
    html = _page(client, scene["a"].user, url)
    assert "40,5" not in html and 'id="panel-title"' not in html
    rr.judging_closes_at = now - dt.timedelta(minutes=1)
    rr.save()
    html = _page(client, scene["a"].user, url)
    assert 'id="panel-title"' in html and "40,5" in html  # the site speaks Vietnamese: decimal comma


def test_the_gallery_hides_vote_totals_from_judges_until_judging_closes(client, scene, organiser, now):
    rr = scene["rr"]
    rr.blind_judging = False  # a blind panel does not open the gallery at all (test_judging_integrity)
    rr.vote_totals = "live"
    rr.voting_enabled, rr.voting_opens_at, rr.voting_closes_at = (
        True,
        now - dt.timedelta(hours=1),
        now + dt.timedelta(days=1),
    )
    rr.save()
    services.entries_moderate(entries=[scene["entry"]], action="approve", by=organiser)
    url = reverse("reading_gallery", args=[rr.round_id])
    assert 'class="vote-total"' in client.get(url).content.decode()
    assert 'class="vote-total"' not in _page(client, scene["a"].user, url)
    rr.judging_closes_at = now - dt.timedelta(minutes=1)
    rr.save()
    assert 'class="vote-total"' in _page(client, scene["a"].user, url)


def _marks_post(rr, values, action="submit", comment=""):
    from judging.models import Criterion

    data = {
        f"c{c.pk}": v
        for c, v in zip(Criterion.objects.filter(reading_round=rr).order_by("position"), values, strict=True)
    }
    return {**data, "comment": comment, "action": action}


def test_submitting_goes_to_the_next_entry_and_the_last_back_to_the_list(client, scene):
    rr, judge = scene["rr"], scene["a"]
    client.force_login(judge.user)
    queue = client.get(reverse("judging_queue", args=[rr.round_id])).context["items"]
    first, second = queue
    response = client.post(reverse("judging_score", args=[first.pk]), _marks_post(rr, ["8", "6"]))
    assert response.status_code == 302 and response["Location"] == reverse("judging_score", args=[second.pk])
    response = client.post(reverse("judging_score", args=[second.pk]), _marks_post(rr, ["5", "5"]))
    assert response["Location"] == reverse("judging_queue", args=[rr.round_id])
    assert JudgeScore.objects.get(assignment=first).total == Decimal("36.00")
    response = client.post(reverse("judging_score", args=[second.pk]), _marks_post(rr, ["5", "5"]))  # again
    assert response.status_code == 302 and JudgeScore.objects.filter(assignment=second).count() == 1


def test_draft_stays_on_the_page_and_errors_are_shown(client, scene):
    rr, assignment = scene["rr"], _assignment(scene, "a", "entry")
    client.force_login(scene["a"].user)
    url = reverse("judging_score", args=[assignment.pk])
    response = client.post(url, _marks_post(rr, ["8", ""], action="draft", comment="Cần rõ hơn"))
    assert response["Location"] == url
    assert JudgeScore.objects.get(assignment=assignment).comment == "Cần rõ hơn"
    response = client.post(url, _marks_post(rr, ["8", ""]))  # submit without every mark
    assert response.status_code == 400 and not JudgeScore.objects.get(assignment=assignment).is_submitted
    response = client.post(url, _marks_post(rr, ["12", "5"]))  # above the maximum
    assert response.status_code == 400


def test_no_scoring_after_the_window_through_the_form(client, scene, now):
    rr, assignment = scene["rr"], _assignment(scene, "a", "entry")
    rr.judging_closes_at = now - dt.timedelta(minutes=1)
    rr.save()
    client.force_login(scene["a"].user)
    response = client.post(reverse("judging_score", args=[assignment.pk]), _marks_post(rr, ["8", "6"]))
    assert response.status_code == 400 and not JudgeScore.objects.exists()
    assert 'id="submit-score"' in response.content.decode()  # shown, but the fieldset is disabled


def test_declaring_a_conflict_from_the_page(client, scene, make_judge):
    make_judge(scene["rr"], "c@example.vn")
    assignment = _assignment(scene, "a", "entry")
    client.force_login(scene["a"].user)
    response = client.post(reverse("judging_conflict", args=[assignment.pk]))
    assert response["Location"] == reverse("judging_queue", args=[scene["rr"].round_id])
    assert client.get(reverse("judging_score", args=[assignment.pk])).status_code == 404
    assert Assignment.objects.filter(entry=scene["entry"], judge__user__email="c@example.vn", state="active").exists()


def test_invitation_page_and_acceptance(client, scene, make_user, organiser):
    invitation = judging.judge_invite(reading_round=scene["rr"], email="moi@example.vn", by=organiser)
    url = reverse("judging_invitation", args=[invitation.token])
    assert client.get(url).status_code == 302  # sign in first
    user = make_user("moi@example.vn")
    client.force_login(user)
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response["Location"] == reverse("judging_queue", args=[scene["rr"].round_id])
    assert RoundJudge.objects.filter(user=user, reading_round=scene["rr"]).exists()
    assert client.get(reverse("judging_invitation", args=["nope"])).status_code == 404


# --- Organiser pages ------------------------------------------------------------------------------------


def test_progress_board_flags_disagreement_and_its_queries_do_not_grow_with_entries(
    client, scene, marks_for, organiser, make_reader, make_entry
):
    rr = scene["rr"]
    judging.score_save(assignment=_assignment(scene, "a", "entry"), marks=marks_for(rr, 10, 10), submit=True)
    judging.score_save(assignment=_assignment(scene, "b", "entry"), marks=marks_for(rr, 1, 1), submit=True)
    client.force_login(organiser)
    url = reverse("organiser_judging_progress", args=[rr.round_id])
    client.get(url)  # warm: the header's notification bell reads its count once, then from the cache
    with CaptureQueriesContext(connection) as few:
        html = client.get(url).content.decode()
    assert "row-disputed" in html and 'name="extra-judge"' in html
    for _ in range(3):
        make_entry(rr, make_reader())
    judging.assignments_fill(reading_round=rr)
    with CaptureQueriesContext(connection) as more:
        assert client.get(url).status_code == 200
    assert len(more) == len(few)


def test_the_entry_page_shows_raw_and_normalised_scores_and_every_step(client, scene, marks_for, organiser, make_judge):
    rr = scene["rr"]
    rr.normalise_judges = True
    rr.save()
    judging.score_save(assignment=_assignment(scene, "a", "entry"), marks=marks_for(rr, 8, 5), submit=True)  # 34
    judging.score_save(assignment=_assignment(scene, "a", "group"), marks=marks_for(rr, 6, 6), submit=True)  # 30
    judging.score_save(assignment=_assignment(scene, "b", "entry"), marks=marks_for(rr, 6, 5), submit=True)  # 28
    client.force_login(organiser)
    html = _page(client, organiser, reverse("organiser_judging_entry", args=[scene["entry"].pk]))
    assert SECRET_NAME in html  # organisers see who it is
    assert "3 × 8 + 2 × 5 = <strong>34,00</strong>" in html
    assert 'class="normalisation"' in html
    assert html.count('class="muted">(') >= 1  # judge b scored once: the fallback is stated
    assert 'id="judge-score-1"' in html and 'id="final-outcome"' in html


def test_organiser_can_run_every_action_from_the_pages(client, scene, organiser, marks_for, make_user):
    rr = scene["rr"]
    client.force_login(organiser)
    assert client.post(reverse("organiser_judging_assign", args=[rr.round_id])).status_code == 302
    response = client.post(
        reverse("organiser_judging_judges", args=[rr.round_id]),
        {"emails": "x@example.vn, y@example.vn", "stages": "first"},
    )
    assert response.status_code == 302 and rr.invitations.count() == 2
    response = client.post(
        reverse("organiser_judging_judges", args=[rr.round_id]), {"emails": "not-an-address", "stages": "first"}
    )
    assert response.status_code == 200 and rr.invitations.count() == 2
    rubric_url = reverse("organiser_judging_rubric", args=[rr.round_id])
    assert client.get(rubric_url).status_code == 200
    assert client.post(reverse("organiser_judging_remind", args=[rr.round_id])).status_code == 302
    for assignment in Assignment.objects.filter(entry__reading_round=rr):
        judging.score_save(assignment=assignment, marks=marks_for(rr, 5, 5), submit=True)
    assert client.get(rubric_url).context["locked"] is True
    finalise = reverse("organiser_judging_finalise", args=[rr.round_id])
    assert client.post(finalise).status_code == 302
    rr.refresh_from_db()
    assert rr.judging_finalised_at is None  # the box "I understand" was not ticked
    assert client.post(finalise, {"confirm": "1"}).status_code == 302
    rr.refresh_from_db()
    assert rr.judging_finalised_at is not None


def test_rubric_form_saves_criteria(client, make_reading_round, organiser):
    rr = make_reading_round()
    client.force_login(organiser)
    data = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "0",
        "form-0-name": "Phát âm",
        "form-0-max_points": "10",
        "form-0-weight": "2",
        "form-1-name": "Diễn cảm",
        "form-1-max_points": "5",
        "form-1-weight": "1",
        "form-2-name": "",
        "form-2-max_points": "10",
        "form-2-weight": "1",
    }
    response = client.post(reverse("organiser_judging_rubric", args=[rr.round_id]), data)
    assert response.status_code == 302
    assert [(c.name, c.max_points) for c in rr.criteria.order_by("position")] == [
        ("Phát âm", Decimal("10.00")),
        ("Diễn cảm", Decimal("5.00")),
    ]


def test_a_rejected_entry_leaves_the_judge_s_queue(client, scene, organiser):
    assignment = _assignment(scene, "a", "entry")
    services.entries_moderate(entries=[scene["entry"]], action="reject", reason="Sai đề", by=organiser)
    client.force_login(scene["a"].user)
    items = client.get(reverse("judging_queue", args=[scene["rr"].round_id])).context["items"]
    assert assignment.pk not in [a.pk for a in items] and len(items) == 1
    assert client.get(reverse("judging_score", args=[assignment.pk])).status_code == 404


def test_forged_judge_ids_are_refused_without_an_error(client, scene, organiser):
    client.force_login(organiser)
    rr = scene["rr"]
    assert client.post(reverse("organiser_judging_remind", args=[rr.round_id]), {"judge": "x"}).status_code == 404
    response = client.post(reverse("organiser_judging_assignment_add", args=[scene["entry"].pk]), {"judge": "1; drop"})
    assert response.status_code == 302
    assert Assignment.objects.filter(entry=scene["entry"]).count() == 2


def test_admin_lists_judging_rows(client, scene, admin_user, marks_for):
    judging.score_save(assignment=_assignment(scene, "a", "entry"), marks=marks_for(scene["rr"], 5, 5), submit=True)
    client.force_login(admin_user)
    # judging's models are under their own app's admin since the layout move; the reading round stays
    for path in ("judging/roundjudge", "judging/assignment", "judging/judgescore", "submissions/readinground"):
        assert client.get(f"/admin/{path}/").status_code == 200, path
    score = JudgeScore.objects.get()
    assert client.get(f"/admin/judging/judgescore/{score.pk}/change/").status_code == 200


def test_the_judging_and_organiser_links_follow_a_seat_and_a_membership_at_once(
    client, judging_round, make_user, organisation, settings
):
    """The navigation's links are cached per user (a query less on every page); the services that change
    them forget the cache, so the link shows on the next page."""
    from django.conf import settings as django_settings

    from contests import services as contest_services

    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    rr = judging_round()
    person = make_user("future.judge@example.vn")
    page = _page(client, person, "/")
    assert ">Judging<" not in page and ">Organiser area<" not in page
    seat = judging.judge_invite(reading_round=rr, email=person.email, by=None)
    assert ">Judging<" in _page(client, person, "/")
    judging.judge_remove(judge=seat)
    assert ">Judging<" not in _page(client, person, "/")
    contest_services.membership_add(user=person, organisation=organisation)
    assert ">Organiser area<" in _page(client, person, "/")
