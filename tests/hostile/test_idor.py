"""IDOR: every URL pattern with an id, slug, code or token, tried by people who have no business there.

``RULES`` classifies every such pattern of the site by name: who must be served (200) and who must be turned
away (403, 404, 405, or a redirect to sign in). A new pattern with a parameter that nobody classified fails
``test_every_url_with_a_parameter_is_classified`` — decide its rule here before it ships.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = ("anonymous", "victim", "attacker", "organiser", "other_organiser", "judge", "other_judge")
OUTSIDERS = frozenset({"anonymous", "attacker", "other_organiser"})


@dataclass(frozen=True)
class Rule:
    """``allowed`` must get 200; ``denied`` must be refused; everyone else merely must not cause a 500."""

    kwargs: str  # a key of kwargs_for()
    allowed: frozenset = frozenset()
    denied: frozenset = frozenset()
    method: str = "GET"


def public(kwargs: str, method: str = "GET") -> Rule:
    """Meant for anyone who has the link (public events, boards, verification by code, the game's PIN)."""
    return Rule(kwargs, method=method)


def organisers(kwargs: str, method: str = "GET") -> Rule:
    """The organising organisation's organisers only."""
    allowed = frozenset({"organiser"}) if method == "GET" else frozenset()
    return Rule(kwargs, allowed, OUTSIDERS | {"victim", "judge"}, method)


def owner(kwargs: str, method: str = "GET", *, also: frozenset = frozenset()) -> Rule:
    """The participant the object belongs to (and ``also`` these roles)."""
    allowed = frozenset({"victim"}) | also if method == "GET" else frozenset()
    return Rule(kwargs, allowed, OUTSIDERS, method)


def judges(kwargs: str, method: str = "GET") -> Rule:
    """The judge the assignment (or queue) belongs to."""
    allowed = frozenset({"judge"}) if method == "GET" else frozenset()
    return Rule(kwargs, allowed, OUTSIDERS | {"victim", "other_judge"}, method)


ADMIN = Rule("none", denied=frozenset({"anonymous", "victim", "attacker", "organiser", "judge"}))
POST = "POST"
JSON = "JSON"  # a POST with a JSON body, as the page's script sends it

RULES: dict[str, Rule] = {
    # contests
    "event_detail": public("event_slug"),
    "event_unlock": public("event_slug", POST),
    "event_banner": public("event_slug"),
    "organiser_event": organisers("event_id"),
    "organiser_event_edit": organisers("event_id"),
    "organiser_event_transition": organisers("event_id", POST),
    "organiser_round_create": organisers("event_id"),
    "organiser_round_edit": organisers("round_id"),
    "organiser_round_delete": organisers("round_id", POST),
    "organiser_round_move": organisers("round_id", POST),
    "organiser_round_results": organisers("round_id"),
    "organiser_organisation": organisers("organisation_slug"),
    "organiser_roster_import": organisers("organisation_slug"),
    "organiser_roster_template": organisers("organisation_slug"),
    # quizzes
    "quiz_round": public("round_id"),
    "attempt_start": public("round_id", POST),  # starts the requester's own attempt
    "attempt_take": Rule("attempt_id", denied=OUTSIDERS),  # submitted: the owner is sent on to the result
    "attempt_answer": owner("attempt_id", JSON),
    "attempt_submit": owner("attempt_id", POST),
    "attempt_result": owner("attempt_id"),
    "question_image": owner("question_id", also=frozenset({"organiser"})),  # private bank; given in her attempt
    "practice_question": Rule("private_bank_slug", denied=OUTSIDERS | {"victim"}),
    "practice_answer": Rule("private_bank_slug", denied=OUTSIDERS | {"victim"}, method=POST),
    "practice_summary": Rule("private_bank_slug", denied=OUTSIDERS | {"victim"}),
    "live_round": public("live_round_id"),
    "live_play": public("pin"),
    "live_host": organisers("session_id"),
    "live_results_csv": organisers("session_id"),
    "live_results_xlsx": organisers("session_id"),
    "organiser_live_round": organisers("live_round_id"),
    "organiser_live_round_choose": organisers("live_round_id", POST),
    "organiser_bank": organisers("bank_id"),
    "organiser_bank_import": organisers("bank_id"),
    "organiser_bank_export": organisers("bank_id"),
    "organiser_question_create": organisers("bank_id"),
    "organiser_question": organisers("question_id"),
    "organiser_question_delete": organisers("question_id", POST),
    "organiser_quiz": organisers("quiz_id"),
    "organiser_quiz_round": organisers("round_id"),
    "organiser_accommodation_grant": organisers("round_id", POST),
    "organiser_weekly_series": organisers("event_id"),
    # leaderboard
    "round_board": public("round_id"),
    "event_board": public("event_slug"),
    "unit_board": public("event_slug"),
    "event_results": public("results_slug"),
    "certificate_verify": public("certificate_code"),  # the code printed on the paper is the key
    "certificate_pdf": owner("certificate_code", also=frozenset({"organiser"})),
    "event_statistics": public("event_slug"),
    "event_report_xlsx": organisers("results_event_id"),
    "event_results_csv": organisers("results_event_id"),
    "embed_board": public("round_id"),
    "api_event": public("event_slug"),
    "api_event_results": public("results_slug"),
    "api_round_board": public("round_id"),
    "api_certificate": public("certificate_code"),
    "board_freeze": organisers("round_id", POST),
    "organiser_results": organisers("results_event_id"),
    "result_correct": organisers("results_event_id", POST),
    "certificates_issue": organisers("results_event_id", POST),
    "certificates_zip": organisers("results_event_id"),
    # appeals
    "round_appeals": public("results_round_id"),  # the requester's own appeals of the round
    "appeal_detail": Rule(  # the appellant's thread; the organisers read it on their own page
        "appeal_id", frozenset({"victim"}), OUTSIDERS | {"organiser", "judge", "other_judge"}
    ),
    "organiser_appeals": organisers("results_event_id"),
    "organiser_appeals_xlsx": organisers("results_event_id"),
    "organiser_appeal_policy": organisers("results_round_id", POST),
    "organiser_appeal": organisers("appeal_id"),
    "organiser_review_queue": organisers("bank_id"),
    "organiser_question_review": organisers("question_id"),
    # submissions
    "reading_round": public("reading_round_id"),
    "reading_entry_create": public("reading_round_id", POST),  # sends the requester's own entry
    # public, except to the judges of its blind panel until judging closes: it names authors and groups
    "reading_gallery": Rule(
        "reading_round_id",
        allowed=frozenset({"anonymous", "victim", "attacker", "organiser"}),
        denied=frozenset({"judge", "other_judge"}),
    ),
    "reading_entry": owner("entry_id"),
    "reading_entry_update": owner("entry_id", POST),
    "reading_entry_status": owner("entry_id"),
    "reading_vote": Rule("entry_id", denied=OUTSIDERS, method=POST),  # not in the gallery: nobody votes
    "reading_media": owner("version_original", also=frozenset({"organiser"})),
    "organiser_reading_round": organisers("reading_round_id"),
    "organiser_reading_entries": organisers("reading_round_id"),
    "organiser_reading_originals": organisers("reading_round_id"),
    "organiser_reading_entry": organisers("entry_id"),
    "organiser_reading_requeue": organisers("version_id", POST),
    "judging_queue": Rule(  # each judge of the panel sees their own queue
        "reading_round_id", frozenset({"judge", "other_judge"}), OUTSIDERS | {"victim"}
    ),
    "judging_score": judges("assignment_id"),
    "judging_conflict": judges("assignment_id", POST),
    "judging_invitation": Rule("forged_token", denied=frozenset(ROLES)),  # the e-mailed token is the key
    "organiser_judging": organisers("reading_round_id"),
    "organiser_judging_rubric": organisers("reading_round_id"),
    "organiser_judging_judges": organisers("reading_round_id"),
    "organiser_judging_invitation_withdraw": organisers("invitation", POST),
    "organiser_judging_assign": organisers("reading_round_id", POST),
    "organiser_judging_shortlist": organisers("reading_round_id", POST),
    "organiser_judging_finalise": organisers("reading_round_id", POST),
    "organiser_judging_remind": organisers("reading_round_id", POST),
    "organiser_judging_progress": organisers("reading_round_id"),
    "organiser_judging_judge": organisers("judge_id"),
    "organiser_judging_judge_remove": organisers("judge_id", POST),
    "organiser_judging_entry": organisers("entry_id"),
    "organiser_judging_assignment_add": organisers("entry_id", POST),
    "organiser_judging_assignment_withdraw": organisers("assignment_id", POST),
    # insights (organisers' dashboards, item analysis, attempts, suspicion report)
    "insights_event": organisers("event_id"),
    "insights_round": organisers("round_id"),
    "insights_items": organisers("round_id"),
    "insights_items_xlsx": organisers("round_id"),
    "insights_attempts": organisers("round_id"),
    "insights_attempt": organisers("attempt_id"),
    "insights_suspicion": organisers("round_id"),
    # forums
    "forum_topics": public("forum_slug"),
    "forum_topic_create": public("forum_slug"),
    "forum_board": public("forum_slug"),
    "forum_moderation": organisers("forum_slug"),
    "forum_resource_add": organisers("forum_slug", POST),
    "forum_points_recalculate": organisers("forum_slug", POST),
    "playground": public("forum_slug"),
    "forum_topic": public("topic_id"),
    "forum_reply": public("topic_id"),
    "forum_posts_after": public("topic_id"),
    "forum_topic_moderate": organisers("topic_id", POST),
    "forum_post_fragment": public("post_id"),
    "forum_post_edit": owner("post_id"),
    "forum_post_react": public("post_id", POST),  # the requester's own reaction
    "forum_post_report": public("post_id"),
    "forum_post_image": public("post_id"),
    "forum_post_moderate": organisers("post_id", POST),
    "forum_report_decide": organisers("post_id", POST),
    "forum_resource_delete": organisers("resource_id", POST),
    "forum_unsubscribe": Rule("forged_token", denied=frozenset(ROLES)),  # the e-mailed token is the key
    "forum_round": public("forum_round_id"),
    "organiser_forum_round": Rule("forum_round_id", denied=OUTSIDERS | {"victim", "judge"}),  # → moderation
    # My data: the parameter is a consent kind, never a person; it acts on the requester's own profile
    "mydata_consent_withdraw": Rule("consent_kind", denied=frozenset({"anonymous"}), method=POST),
    # notifications and class accounts (issue 16)
    "notification_read": owner("notification_id", POST),
    "round_remind": public("round_id", POST),  # the requester's own reminder of a round they can see
    "class_unit": organisers("organisation_slug"),
    "class_template": organisers("organisation_slug"),
    "class_cards": Rule("organisation_slug", denied=OUTSIDERS | {"victim", "judge"}),  # no cards waiting: → page
    "class_reset": organisers("organisation_slug", POST),
    "class_consent": organisers("class_account"),
    # allauth: keys e-mailed to the address's owner
    "account_confirm_email": public("allauth_key"),
    "account_reset_password_from_key": public("allauth_reset"),
}


def kwargs_for(world) -> dict[str, dict]:
    o = world.objects
    quiz_round = o["quiz_round"]
    return {
        "none": {},
        "event_slug": {"slug": o["quiz_event"].slug},
        "event_id": {"event_id": o["quiz_event"].pk},
        "round_id": {"round_id": quiz_round.pk},
        "organisation_slug": {"slug": o["organisation"].slug},
        "attempt_id": {"attempt_id": o["attempt"].pk},
        "question_id": {"question_id": o["question"].pk},
        "private_bank_slug": {"slug": o["bank"].slug},
        "live_round_id": {"round_id": o["live_round"].pk},
        "pin": {"pin": o["live_session"].pin},
        "session_id": {"session_id": o["live_session"].pk},
        "bank_id": {"bank_id": o["bank"].pk},
        "quiz_id": {"quiz_id": o["quiz"].pk},
        "results_slug": {"slug": o["results_event"].slug},
        "results_event_id": {"event_id": o["results_event"].pk},
        "results_round_id": {"round_id": o["results_round"].pk},
        "appeal_id": {"appeal_id": o["appeal"].pk},
        "certificate_code": {"code": o["certificate"].code},
        "reading_round_id": {"round_id": o["reading_round"].round_id},
        "entry_id": {"entry_id": o["entry"].pk},
        "version_id": {"version_id": o["version"].pk},
        "version_original": {"version_id": o["version"].pk, "part": "original"},
        "assignment_id": {"assignment_id": o["assignment"].pk},
        "judge_id": {"judge_id": o["round_judge"].pk},
        "invitation": {"round_id": o["reading_round"].round_id, "invitation_id": o["invitation"].pk},
        "forged_token": {"token": "forged-" + "A" * 40},
        "forum_slug": {"slug": o["forum"].slug},
        "topic_id": {"topic_id": o["topic"].pk},
        "post_id": {"post_id": o["post"].pk},
        "resource_id": {"resource_id": o["resource"].pk},
        "forum_round_id": {"round_id": o["forum_round"].pk},
        "consent_kind": {"kind": "data"},
        "notification_id": {"notification_id": _victim_notification(world).pk},
        "class_account": {"slug": o["organisation"].slug, "account_id": _class_account(world).pk},
        "allauth_key": {"key": "forged-key"},
        "allauth_reset": {"uidb36": "1", "key": "forged-key"},
    }


def _victim_notification(world):
    from notifications.models import Notification
    from notifications.services import notify

    notify(world.users["victim"], "appeal_answered", key="idor", params={"title": "x"})
    return Notification.objects.get(user=world.users["victim"], key="idor")


def _class_account(world):
    """A pupil's class account of the organising organisation (made once per world)."""
    from contests.classes import services
    from contests.classes.parsing import PupilRow
    from contests.models import ClassAccount

    unit = world.objects["organisation"]
    if not ClassAccount.objects.filter(organisation=unit).exists():
        row = PupilRow(line=2, full_name="Nguyễn Văn An", date_of_birth="2013-09-15", class_name="6A1")
        services.class_accounts_create(unit=unit, by=world.users["organiser"], rows=[row])
    return ClassAccount.objects.filter(organisation=unit).first()


def patterns_with_parameters(patterns=None, namespace: str = "") -> list[tuple[str, str]]:
    """(name, route) of every URL pattern of the site whose route has a parameter, nested includes walked."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += patterns_with_parameters(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.pattern.regex.groups:
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            found.append((name, str(pattern.pattern)))
    return found


def test_every_url_with_a_parameter_is_classified():
    unclassified = sorted(name for name, _route in patterns_with_parameters() if not name.startswith("admin:"))
    missing = [name for name in unclassified if name not in RULES]
    assert not missing, f"URL patterns with a parameter but no access rule in tests/hostile/test_idor.py: {missing}"
    stale = sorted(set(RULES) - set(unclassified))
    assert not stale, f"rules for URL patterns that no longer exist: {stale}"


def is_refused(response, method: str) -> bool:
    """403, 404, 405 or the sign-in page; for a GET also a redirect elsewhere (nothing of the object shown).
    A POST answered by any other redirect may have done something, so it counts as served."""
    if response.status_code in (403, 404, 405):
        return True
    location = response.get("Location", "")
    if response.status_code != 302:
        return False
    return method == "GET" or location.startswith(("/accounts/login/", "/admin/login/"))


def request(client, url: str, method: str):
    if method == "GET":
        return client.get(url)
    if method == JSON:
        return client.post(url, data='{"position": 1, "response": 1}', content_type="application/json")
    return client.post(url, {})


def check(client, world, rules: dict[str, Rule], roles) -> list[str]:
    """Ask each URL as each role the rule names (GET also as everyone else, for the no-500 check). Roles the
    rule leaves open never POST: their actions would change the world the other checks rely on."""
    kwargs = kwargs_for(world)
    failures = []
    for role in roles:
        client.logout()
        if role != "anonymous":
            client.force_login(world.users[role])
        for name, rule in sorted(rules.items()):
            if rule.method != "GET" and role not in rule.denied:
                continue
            url = reverse(name, kwargs=kwargs[rule.kwargs])
            response = request(client, url, rule.method)
            if response.status_code >= 500:
                failures.append(f"{role} {rule.method} {url}: {response.status_code}")
            elif role in rule.allowed and response.status_code != 200:
                failures.append(f"{role} {rule.method} {url}: {response.status_code}, expected 200")
            elif role in rule.denied and not is_refused(response, rule.method):
                failures.append(f"{role} {rule.method} {url}: {response.status_code}, expected a refusal")
    return failures


@pytest.mark.django_db
def test_nobody_reaches_what_is_not_theirs(client, world):
    reads = {name: rule for name, rule in RULES.items() if rule.method == "GET"}
    writes = {name: rule for name, rule in RULES.items() if rule.method != "GET"}
    failures = check(client, world, reads, ROLES) + check(client, world, writes, ROLES)
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_admin_is_for_staff_only(client, world):
    """Admin URLs with an id, for every role that is not staff: the admin's own sign-in page."""
    assert [name for name, _route in patterns_with_parameters() if name.startswith("admin:")]
    object_id = world.objects["entry"].pk
    for role in ADMIN.denied:
        client.logout()
        if role != "anonymous":
            client.force_login(world.users[role])
        for model in ("submissions/entry", "auth/user", "contests/profile", "forums/post"):
            response = client.get(f"/admin/{model}/{object_id}/change/")
            assert is_refused(response, "GET") and response.status_code != 200, (role, model)
