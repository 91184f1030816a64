"""Everyone can use it (issue 9): the main journeys at a phone's width (360×740) and a desktop's (1280×800)
carry no serious or critical accessibility violation by axe-core's WCAG 2.0/2.1 A and AA rules.

The pages are those of ``make run``: the demo data (``seed_demo``) plus an event with published results and
certificates, served by daphne (the live quiz pages need WebSockets, which pytest-django's live server
cannot carry) on its own SQLite file. People are signed in by session cookies made in the setup script.
axe-core is vendored (tests/e2e/vendor/axe-core: a test tool, kept out of static/ so it is never published)
and injected into each page; the contexts bypass the site's Content-Security-Policy, which would refuse an
injected script.

``SCREENSHOTS=1`` (``make screenshots``) also writes each page to docs/screenshots/<journey>-<width>.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.servers import daphne, prepare_database, project_env

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "docs" / "screenshots"
TIMEZONE = "Asia/Ho_Chi_Minh"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
WIDTHS = {
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}

# Run in `manage.py shell` on the server's database: the demo data, an event of the library whose results are
# published with certificates, session keys for the people who walk the journeys, and the ids of their pages.
SETUP = """
import datetime as dt, io, json
from decimal import Decimal
from django.contrib.auth import get_user_model
from tests.sessions import signed_in_session as cookie
from django.core.management import call_command
from django.utils import timezone
from contests import services as contests
from contests.models import Event, Organisation, Region, Round
from forums.models import Topic
from leaderboard import results
from leaderboard.models import Certificate
from leaderboard.services import score_record
from live.models import LiveSession
from quizzes.models import QuestionBank, QuizRound
from judging.models import Assignment
from submissions.models import Entry

call_command("seed_demo", stdout=io.StringIO())
User = get_user_model()
people = {user.email: user for user in User.objects.filter(email__endswith="@demo.vn")}
now = timezone.now().replace(microsecond=0)
day = dt.timedelta(days=1)

NAMES = ["Đỗ Thị Lan", "Bùi Văn Hùng", "Ngô Thị Mai", "Vũ Đức Thành", "Đặng Thu Hà", "Lý Văn Nam"]
board = [people["an@demo.vn"], people["binh@demo.vn"]]
for index, name in enumerate(NAMES):
    user = User.objects.create_user(f"thi-sinh-{index}", f"thi-sinh-{index}@example.vn", None)
    contests.profile_update(
        profile=contests.profile_get_or_create(user=user),
        data={"full_name": name, "date_of_birth": dt.date(1990 + index, 1 + index, 10), "phone": f"+8491270000{index}",
              "region": Region.objects.get(code="TN-DT-01"), "category": "citizen"},
        data_consent=True, guardian_consent=False)
    board.append(user)

library = Organisation.objects.get(slug="thu-vien-tinh-thai-nguyen")
librarian = people["library@demo.vn"]
window = {"opens_at": now - 20 * day, "closes_at": now - 10 * day}
event = contests.event_create(organisation=library, by=librarian, fields={
    "title": "Tìm hiểu An toàn thông tin – tháng 10", "kind": Event.Kind.CONTEST,
    "summary": "Kết quả đã công bố.", **window})
rnd = contests.round_create(event=event, fields={"title": "Thi trắc nghiệm", "kind": "quiz", **window})
contests.event_transition(event=event, to_state=Event.State.OPEN, by=librarian)
for index, user in enumerate(board):
    score_record(rnd=rnd, user=user, points=Decimal(20 - 2 * index), max_points=Decimal(20),
                 submitted_at=now - 15 * day, time_used_ms=300_000 + 7_000 * index)
contests.event_transition(event=event, to_state=Event.State.CLOSED, by=librarian)
event.refresh_from_db()
result_set = results.results_publish(event=event, by=librarian, prizes={"first": 1, "second": 1, "third": 2})
results.certificates_issue(result_set=result_set)
from appeals import services as appeals
appeals.appeal_policy_set(rnd=rnd, days=30, max_per_round=3)
appeal = appeals.appeal_create(rnd=rnd, user=people["an@demo.vn"], kind="score", text="Xin phúc khảo điểm vòng thi.")
from quizzes import services as quiz_services
from quizzes.models import QuestionBank
practice_bank = QuestionBank.objects.get(slug="cong-dan-so")
draft = quiz_services.question_save(bank=practice_bank, by=librarian,
    parsed=quiz_services.question_to_parsed(practice_bank.questions.first()))

# Issue 16 (people16): a notification under the participant's bell, a teacher with one pupil's class account.
from contests.classes import services as classes
from contests.classes.parsing import PupilRow
from contests.models import Membership
from notifications import services as notifications
notifications.notify(people["an@demo.vn"], "results_published", key="results:a11y", params={"title": event.title})
school = Organisation.objects.create(name="Trường THCS Đồng Quang", slug="thcs-dong-quang")
people["teacher-a11y@demo.vn"] = User.objects.create_user("co-giao-a11y", "teacher-a11y@demo.vn", None)
contests.membership_add(user=people["teacher-a11y@demo.vn"], organisation=school, role=Membership.Role.TEACHER)
classes.class_accounts_create(unit=school, by=people["teacher-a11y@demo.vn"], rows=[
    PupilRow(line=2, full_name="Nguyễn Văn An", date_of_birth="2013-09-15", class_name="6A1")])

contest = Event.objects.get(slug="cong-dan-so-2023")
playground = Event.objects.get(slug="san-choi-ky-nang-so")
reading = contest.rounds.get(kind=Round.Kind.READING)
judge = people["judge@demo.vn"]
live = LiveSession.objects.exclude(state=LiveSession.State.ENDED).get(round__event=contest)
from quizzes.services import accommodation_grant
accommodation_grant(quiz_round=QuizRound.objects.get(round__event=contest), user=people["binh@demo.vn"],
                    extra_time_percent=50, extra_attempts=1, reason="Học sinh khiếm thị dùng trình đọc màn hình, "
                    "cần thêm thời gian theo đề nghị của giáo viên chủ nhiệm", by=people["organiser@demo.vn"])

from quizzes import services as quizzes
taker = people["binh@demo.vn"]
sheet = quizzes.attempt_start(quiz_round=QuizRound.objects.get(round__event=contest, round__kind="quiz"), user=taker,
                              client={"ip_address": "192.0.2.1", "user_agent": "Mozilla/5.0 (a11y)"})
quizzes.attempt_submit(attempt_id=sheet.pk, user=taker)

print("A11Y-DATA " + json.dumps({
    "sessions": {role: cookie(people[email]) for role, email in
                 [("participant", "an@demo.vn"), ("organiser", "organiser@demo.vn"), ("judge", "judge@demo.vn"),
                  ("teacher", "teacher-a11y@demo.vn"), ("librarian", "library@demo.vn")]},
    "contest": contest.slug,
    "contest_id": contest.pk,
    "quiz_round": contest.rounds.get(kind=Round.Kind.QUIZ).pk,
    "playground_round": QuizRound.objects.get(round__event=playground).round_id,
    "reading_round": reading.pk,
    "entry": Entry.objects.get(reading_round__round=reading, user=people["an@demo.vn"]).pk,
    "assignment": Assignment.objects.filter(judge__user=judge).order_by("pk").last().pk,
    "live": live.pk,
    "pin": live.pin,
    "topic": Topic.objects.order_by("pk").last().pk,
    "board_round": rnd.pk,
    "library_event": event.pk,
    "appeal": appeal.pk,
    "practice_bank": practice_bank.pk,
    "draft_question": draft.pk,
    "certificate": Certificate.objects.filter(row__result_set=result_set).order_by("row__rank").first().code,
    "bank": QuestionBank.objects.get(slug="cong-dan-so-de-thi").pk,
    "question": QuestionBank.objects.get(slug="cong-dan-so-de-thi").questions.order_by("pk").first().pk,
    "ordering_question": QuestionBank.objects.get(slug="cong-dan-so").questions.filter(type="ordering").first().pk,
    "quiz": QuizRound.objects.get(round__event=contest).quiz_id,
    "fixed_quiz": QuizRound.objects.get(round__event=playground).quiz_id,
    "attempt": sheet.pk,
    "class_unit": school.slug,
    "class_account": school.class_accounts.get().pk,
}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """daphne serving the demo site on a fresh SQLite file; yields its URL and the setup's data."""
    folder = tmp_path_factory.mktemp("a11y-e2e")
    env = project_env(
        folder, DEBUG="0", ALLOWED_HOSTS="127.0.0.1,localhost", SECRET_KEY="e2e-a11y-" + os.urandom(16).hex()
    )
    data = prepare_database(env, SETUP, marker="A11Y-DATA ")
    with daphne(env, folder) as (url,):
        yield {"url": url, **data}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Replaces the e2e conftest's cache reset: daphne serves these pages with its own cache, and clearing
    the test process's cache (perhaps a shared Redis) would only disturb others."""


# --- Journeys: each brings a page (already open on the site) to the state that is checked ------------------


def _answer(card) -> bool:
    """Give some answer to a question card; False for an ordering, which keeps its shown order."""
    kind = card.get_attribute("data-type")
    if kind in ("single", "true_false"):
        card.locator("input[type=radio]").first.check()
    elif kind == "multiple":
        card.locator("input[type=checkbox]").first.check()
    elif kind == "short_text":
        card.locator("input[type=text]").fill("VNeID")
        card.locator("input[type=text]").blur()
    else:
        return False
    return True


def _open_attempt(page, round_id: int) -> None:
    """Start an attempt of the quiz round, or continue the one in progress."""
    page.goto(f"/rounds/{round_id}/quiz/")
    with page.expect_navigation():
        page.locator("#start-attempt, #main a[href^='/attempts/']").first.click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+/$"))


def quiz_attempt(page, data) -> None:
    """Half of the questions answered and saved."""
    _open_attempt(page, data["quiz_round"])
    cards = page.locator(".question-card")
    answered = sum(_answer(cards.nth(index)) for index in range(cards.count() // 2))
    page.wait_for_load_state("networkidle")  # the autosaves (the other width may have saved them already)
    assert page.locator("#save-status").get_attribute("data-state") in (None, "saved")
    assert page.locator(".question-nav a.answered").count() >= answered > 0
    page.evaluate("window.scrollTo(0, 0)")


def quiz_result(page, data) -> None:
    """A submitted attempt of the playground quiz, whose immediate feedback shows every question."""
    _open_attempt(page, data["playground_round"])
    cards = page.locator(".question-card")
    for index in range(cards.count()):
        _answer(cards.nth(index))
    with page.expect_navigation():
        page.click("#submit-attempt")
    expect(page.locator("#score")).to_be_visible()


def practice_feedback(page, data) -> None:
    """A public bank's question, answered: the right answer and why."""
    page.goto("/practice/cong-dan-so/")
    _answer(page.locator(".question-card"))
    with page.expect_navigation():
        page.click("#check-answer")
    expect(page.locator("#feedback")).to_be_visible()


def host_lobby(page, data) -> None:
    """The projector page of the demo's live quiz, waiting for players."""
    expect(page.locator("#live-host")).to_have_attribute("data-view", "lobby")


def live_lobby(page, data) -> None:
    """A phone that typed the PIN and a nickname, waiting for the host to start."""
    page.goto("/play/")
    page.fill("input[name=pin]", data["pin"])
    with page.expect_navigation():
        page.click("#pin-submit")
    page.fill("#nickname", f"Khách {page.viewport_size['width']}")
    page.click("#join-btn")
    expect(page.locator("#live-play")).to_have_attribute("data-view", "lobby")


def question_import_preview(page, data) -> None:
    """The organiser uploads the Excel template and sees the preview of its questions (a wide table)."""
    page.goto(f"/organiser/banks/{data['bank']}/import/")
    template = page.request.get("/organiser/banks/template.xlsx")
    assert template.ok
    page.set_input_files(
        "input[name=file]",
        {"name": "mau.xlsx", "mimeType": "application/octet-stream", "buffer": template.body()},
    )
    with page.expect_navigation():
        page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("#preview-title")).to_be_visible()


def open_details(page, data) -> None:
    """Every disclosure open (the data tables behind the charts), so that axe checks them too; opened by
    script, so that the keyboard check still starts from the top of the page."""
    page.evaluate("() => document.querySelectorAll('details').forEach((details) => { details.open = true; })")


@dataclass(frozen=True)
class Journey:
    name: str
    path: str = ""  # formatted with the setup's data; empty when ``walk`` goes there itself
    person: str | None = None  # a key of the setup's sessions; None = an anonymous visitor
    walk: Callable | None = None  # brings the page to the state to check


JOURNEYS = [
    Journey("home", "/"),
    Journey("sign-in", "/accounts/login/"),
    Journey("sign-up", "/accounts/signup/"),
    Journey("event", "/events/{contest}/", "participant"),
    Journey("quiz-round", "/rounds/{quiz_round}/quiz/", "participant"),
    Journey("quiz-attempt", person="participant", walk=quiz_attempt),
    Journey("quiz-result", person="participant", walk=quiz_result),
    Journey("practice", "/practice/"),
    Journey("practice-feedback", walk=practice_feedback),
    Journey("live-join", "/play/"),
    Journey("live-lobby", walk=live_lobby),
    Journey("live-host-lobby", "/live/{live}/host/", "organiser", host_lobby),
    Journey("leaderboard", "/rounds/{board_round}/board/"),
    Journey("reading-recorder", "/rounds/{reading_round}/reading/", "participant"),
    Journey("reading-entry", "/reading/entries/{entry}/", "participant"),
    Journey("judge-queue", "/judging/rounds/{reading_round}/", "judge"),
    Journey("judge-score", "/judging/assignments/{assignment}/", "judge"),
    Journey("forum-topic", "/forum/topics/{topic}/", "participant"),
    Journey("organiser-event", "/organiser/events/{contest_id}/", "organiser"),
    Journey("organiser-bank", "/organiser/banks/{bank}/", "organiser"),
    Journey("organiser-question-new", "/organiser/banks/{bank}/questions/new/", "organiser"),
    Journey("organiser-question", "/organiser/questions/{question}/", "organiser"),
    Journey("organiser-question-ordering", "/organiser/questions/{ordering_question}/", "organiser"),
    Journey("organiser-quiz-new", "/organiser/quizzes/new/", "organiser"),
    Journey("organiser-quiz", "/organiser/quizzes/{quiz}/", "organiser"),
    Journey("organiser-quiz-fixed", "/organiser/quizzes/{fixed_quiz}/", "organiser"),
    Journey("organiser-quiz-round", "/organiser/rounds/{quiz_round}/quiz/", "organiser"),
    Journey("organiser-question-import", person="organiser", walk=question_import_preview),
    Journey("my-data", "/my-data/", "participant"),
    Journey("insights-event", "/organiser/events/{contest_id}/insights/", "organiser", open_details),
    Journey("insights-round", "/organiser/rounds/{quiz_round}/insights/", "organiser"),
    Journey("insights-items", "/organiser/rounds/{quiz_round}/insights/items/", "organiser"),
    Journey("insights-attempts", "/organiser/rounds/{quiz_round}/insights/attempts/", "organiser"),
    Journey("insights-attempt", "/organiser/attempts/{attempt}/", "organiser"),
    Journey("insights-suspicion", "/organiser/rounds/{quiz_round}/insights/suspicion/", "organiser"),
    Journey("certificate", "/verify/{certificate}/"),
    Journey("notifications", "/notifications/", "participant"),
    Journey("notification-preferences", "/notifications/preferences/", "participant"),
    Journey("class-accounts", "/organiser/classes/{class_unit}/", "teacher"),
    Journey("class-consent", "/organiser/classes/{class_unit}/pupils/{class_account}/consent/", "teacher"),
    Journey("class-sign-in", "/class-login/"),
    Journey("appeal-form", "/rounds/{board_round}/appeals/", "participant"),
    Journey("appeal-thread", "/appeals/{appeal}/", "participant"),
    Journey("organiser-appeals", "/organiser/events/{library_event}/appeals/", "librarian"),
    Journey("organiser-appeal", "/organiser/appeals/{appeal}/", "librarian"),
    Journey("review-queue", "/organiser/banks/{practice_bank}/review/", "organiser"),
    Journey("question-review", "/organiser/questions/{draft_question}/review/", "organiser"),
]


# --- Checking -------------------------------------------------------------------------------------------

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary || "" })),
  }));
}"""


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.x A/AA violations on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE, WCAG_TAGS)
    return [v for v in violations if v["impact"] in BLOCKING]


FOCUS_RING = """() => {
  const element = document.activeElement, style = getComputedStyle(element);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return ring ? null : element.outerHTML.slice(0, 120);
}"""


def unringed_focus_stops(page, stops: int = 5) -> list[str]:
    """The first keyboard focus stops (skip link, navigation) that show no solid focus ring (WCAG 2.4.7)."""
    missing = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        html = page.evaluate(FOCUS_RING)
        if html:
            missing.append(html)
    return missing


def report(violations: list[dict]) -> str:
    """One line per rule (id, impact, help), then the first nodes' selectors and what axe says to fix."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:10]:
            fix = " ".join(line.strip() for line in node["summary"].splitlines()[1:])
            lines.append(f"    {node['target']} — {fix[:300]}")
    return "\n".join(lines)


def open_page(browser, site, width: str, person: str | None):
    context = browser.new_context(
        base_url=site["url"], timezone_id=TIMEZONE, bypass_csp=True, reduced_motion="reduce", **WIDTHS[width]
    )
    context.set_default_timeout(15_000)
    if person:
        context.add_cookies([{"name": "sessionid", "value": site["sessions"][person], "url": site["url"]}])
    return context, context.new_page()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.name for j in JOURNEYS])
def test_page_has_no_serious_accessibility_violation(browser, site, journey: Journey, width: str):
    context, page = open_page(browser, site, width, journey.person)
    try:
        if journey.path:
            reply = page.goto(journey.path.format(**site))
            assert reply is not None and reply.ok, f"{journey.path} answered {reply and reply.status}"
        if journey.walk:
            journey.walk(page, site)
        page.wait_for_load_state("networkidle")
        if os.environ.get("SCREENSHOTS") == "1":
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{journey.name}-{width}.png"))
        violations = axe_violations(page)
        assert not violations, f"{journey.name} at {width} width ({page.url}):\n{report(violations)}"
        unringed = unringed_focus_stops(page)
        assert not unringed, f"{journey.name} at {width} width: focus stops without a focus ring: {unringed}"
    finally:
        context.close()
