"""Who may use each judging page: anonymous / participant / a judge of the organisation who is not on the panel /
a judge of the panel who does not have the entry / the judge who has it / organiser of another organisation /
organiser of this organisation / site admin — for reads and for writes.

Outsiders get 404, the same answer as for an id that does not exist, so that ids reveal nothing. Organisers are
not judges: they do not reach a judge's scoring page either.
"""

import pytest
from django.urls import reverse

from conftest import served_status
from judging import services as judging
from judging.models import Assignment, JudgeInvitation, RoundJudge
from submissions.models import ReadingRound

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "participant",
    "judge",
    "panel_judge",
    "assigned_judge",
    "other_organiser",
    "organiser",
    "admin_user",
]
ORGANISERS = {"organiser", "admin_user"}


@pytest.fixture
def target(judging_round, make_reader, make_entry, make_judge, organiser):
    rr = judging_round()
    entry = make_entry(rr, make_reader())
    assigned = make_judge(rr, "assigned@example.vn")
    panel = make_judge(rr, "panel@example.vn")
    assignment = judging.assignment_add(entry=entry, judge=assigned, by=organiser)
    invitation = judging.judge_invite(reading_round=rr, email="later@example.vn", by=organiser)
    return {
        "rr": rr,
        "round": rr.round,
        "entry": entry,
        "assignment": assignment,
        "assigned": assigned,
        "panel": panel,
        "invitation": invitation,
    }


@pytest.fixture
def actors(request, target):
    people = {}
    for role in ROLES:
        if role == "anonymous":
            people[role] = None
        elif role == "panel_judge":
            people[role] = target["panel"].user
        elif role == "assigned_judge":
            people[role] = target["assigned"].user
        else:
            people[role] = request.getfixturevalue(role)
    return people


def _client_as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def _expect(response, role, allowed, ok=200):
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in allowed:
        assert response.status_code == ok, (role, response.status_code)
    else:
        assert response.status_code == 404, (role, response.status_code)


ORGANISER_PAGES = [
    ("organiser_judging", lambda t: [t["round"].pk]),
    ("organiser_judging_rubric", lambda t: [t["round"].pk]),
    ("organiser_judging_judges", lambda t: [t["round"].pk]),
    ("organiser_judging_progress", lambda t: [t["round"].pk]),
    ("organiser_judging_judge", lambda t: [t["assigned"].pk]),
    ("organiser_judging_entry", lambda t: [t["entry"].pk]),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "args"), ORGANISER_PAGES, ids=[n for n, _ in ORGANISER_PAGES])
def test_organiser_judging_pages_answer_only_the_event_s_organisers(client, actors, target, role, name, args):
    response = _client_as(client, actors[role]).get(reverse(name, args=args(target)))
    _expect(response, role, ORGANISERS)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_assigned_judge_opens_an_entry_s_scoring_page(client, actors, target, role):
    response = _client_as(client, actors[role]).get(reverse("judging_score", args=[target["assignment"].pk]))
    _expect(response, role, {"assigned_judge"})


@pytest.mark.parametrize("role", ROLES)
def test_a_round_s_queue_is_for_its_panel(client, actors, target, role):
    response = _client_as(client, actors[role]).get(reverse("judging_queue", args=[target["round"].pk]))
    _expect(response, role, {"panel_judge", "assigned_judge"})


@pytest.mark.parametrize("role", ROLES)
def test_judging_home_lists_only_one_s_own_panels(client, actors, target, role):
    response = _client_as(client, actors[role]).get(reverse("judging_home"))
    everyone = set(ROLES) - {"anonymous"}
    _expect(response, role, everyone)
    if role in everyone:
        panels = response.context["panels"]
        assert bool(panels) is (role in {"panel_judge", "assigned_judge"})


@pytest.mark.parametrize("role", ROLES)
def test_only_the_assigned_judge_plays_the_entry_before_the_gallery(client, actors, target, role):
    url = reverse("reading_media", args=[target["entry"].current_id, "media"])
    response = _client_as(client, actors[role]).get(url)
    expected = served_status() if role in {"assigned_judge", *ORGANISERS} else 404
    assert response.status_code == expected  # the entry is awaiting review: not in the gallery


def _writes(t):
    """Every state-changing judging request, with a payload that would succeed for an organiser."""
    rnd, entry = t["round"].pk, t["entry"].pk
    rubric = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "form-0-name": "Hijacked",
        "form-0-max_points": "10",
        "form-0-weight": "1",
    }
    settings = {
        "judges_per_entry": "5",
        "averaging": "mean",
        "disagreement_percent": "25",
        "shortlist_size": "0",
        "final_judges_per_entry": "3",
    }
    return [
        (reverse("organiser_judging", args=[rnd]), settings),
        (reverse("organiser_judging_rubric", args=[rnd]), rubric),
        (reverse("organiser_judging_judges", args=[rnd]), {"emails": "intruder@example.vn", "stages": "first"}),
        (reverse("organiser_judging_judge", args=[t["panel"].pk]), {"stages": "final", "emails": ""}),
        (reverse("organiser_judging_assign", args=[rnd]), {}),
        (reverse("organiser_judging_remind", args=[rnd]), {}),
        (reverse("organiser_judging_assignment_add", args=[entry]), {"judge": t["panel"].pk}),
        (reverse("organiser_judging_assignment_withdraw", args=[t["assignment"].pk]), {}),
        (reverse("organiser_judging_invitation_withdraw", args=[rnd, t["invitation"].pk]), {}),
        (reverse("organiser_judging_judge_remove", args=[t["panel"].pk]), {}),
        (reverse("organiser_judging_finalise", args=[rnd]), {"confirm": "1"}),
    ]


def _snapshot(t):
    rr = ReadingRound.objects.get(pk=t["rr"].pk)
    return (
        rr.judges_per_entry,
        rr.judging_finalised_at,
        list(rr.criteria.values_list("name", flat=True)),
        sorted(Assignment.objects.filter(entry__reading_round=rr).values_list("judge__user__email", "state")),
        sorted(RoundJudge.objects.filter(reading_round=rr).values_list("user__email", "stages")),
        JudgeInvitation.objects.filter(reading_round=rr).count(),
    )


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ORGANISERS])
def test_outsiders_cannot_change_anything(client, actors, target, role):
    c = _client_as(client, actors[role])
    before = _snapshot(target)
    for url, data in _writes(target):
        response = c.post(url, data)
        assert response.status_code == (302 if role == "anonymous" else 404), (url, response.status_code)
    assert _snapshot(target) == before


@pytest.mark.parametrize("role", sorted(ORGANISERS))
def test_organisers_and_admins_can_make_each_change(client, actors, target, role):
    c = _client_as(client, actors[role])
    before = _snapshot(target)
    for url, data in _writes(target):
        response = c.post(url, data)
        assert response.status_code == 302, (url, response.content[:1500])
    after = _snapshot(target)
    assert after != before
    assert after[0] == 5 and after[1] is not None and after[2] == ["Hijacked"]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "assigned_judge"])
def test_only_the_assigned_judge_can_score_or_declare_a_conflict(client, actors, target, role, marks_for):
    from judging.models import Criterion

    c = _client_as(client, actors[role])
    data = {f"c{cr.pk}": "5" for cr in Criterion.objects.filter(reading_round=target["rr"])} | {"action": "submit"}
    for url in (
        reverse("judging_score", args=[target["assignment"].pk]),
        reverse("judging_conflict", args=[target["assignment"].pk]),
    ):
        response = c.post(url, data)
        assert response.status_code == (302 if role == "anonymous" else 404)
    assignment = Assignment.objects.get(pk=target["assignment"].pk)
    assert assignment.state == "active" and not hasattr(assignment, "score")
