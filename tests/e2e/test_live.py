"""Live quiz journey in real browsers: an organiser opens a session and hosts it on a projector page,
three phones join with the PIN, everyone answers three questions, one phone reloads mid-game and keeps
its score, the host reloads and resumes, and the podium matches the scores.

pytest-django's live server is WSGI and cannot carry WebSockets, so this module runs its own daphne in a
subprocess on a temporary SQLite database (migrated and filled by subprocesses as well). Nothing here
touches pytest-django's test database. Set LIVE_SHOTS=/some/dir to keep screenshots of each screen.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.servers import daphne, prepare_database, project_env

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-Strong-pass-123"
ORGANISER = "host@example.vn"
TIMEZONE = "Asia/Ho_Chi_Minh"
PHONE = {"width": 360, "height": 740}
PROJECTOR = {"width": 1280, "height": 800}

# Run inside `manage.py shell` against the server's database: an organiser who can sign in, a bank of three
# single-choice questions and a quiz of exactly those; prints the ids the test needs as one JSON line.
SETUP = """
import json
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from contests import services as contests
from contests.models import Organisation
from quizzes import services as quizzes
from quizzes.importing.base import ParsedChoice, ParsedQuestion
from quizzes.models import Choice

organisation = Organisation.objects.create(name="Thư viện tỉnh", slug="thu-vien-tinh")
user = get_user_model().objects.create_user(username="host", email=EMAIL, password=PASSWORD)
EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
contests.membership_add(user=user, organisation=organisation)
bank = quizzes.bank_create(organisation=organisation, title="Câu hỏi trực tiếp")
rows = [
    ("Mật khẩu nào mạnh nhất?", ["123456", "T@o-Mk-2023!", "matkhau", "ngaysinh"], 1),
    ("Khi nhận tin nhắn xin mã OTP, bạn nên làm gì?", ["Gửi ngay", "Không gửi và báo ngân hàng", "Gửi một nửa"], 1),
    ("Tên miền chính thức của Cổng dịch vụ công quốc gia?", ["dichvucong.gov.vn", "dichvucong.com", "dvc.vn.net"], 0),
]
questions = [
    ParsedQuestion(where=f"q{n}", type="single", text=text, explanation="Giải thích " + str(n),
                   choices=[ParsedChoice(choice, i == right) for i, choice in enumerate(choices)])
    for n, (text, choices, right) in enumerate(rows, 1)
]
quizzes.questions_import(bank=bank, questions=questions)
ids = list(bank.questions.order_by("pk").values_list("pk", flat=True))
quiz = quizzes.quiz_create(organisation=organisation, bank=bank, title="Đố vui công dân số", question_ids=ids)
# Phones see opaque tokens, not choice ids: the test knows the right answers by their text.
correct = list(Choice.objects.filter(question__bank=bank, is_correct=True).values_list("text", flat=True))
print("LIVE-DATA " + json.dumps({"quiz": quiz.pk, "correct": correct}))
"""


@pytest.fixture(scope="module")
def asgi_server(tmp_path_factory):
    """daphne serving the project (HTTP + WebSockets) on a fresh SQLite file; yields its URL and the data ids."""
    work = tmp_path_factory.mktemp("live-e2e")
    env = project_env(
        work, DEBUG="0", ALLOWED_HOSTS="127.0.0.1,localhost", SECRET_KEY="e2e-live-" + os.urandom(16).hex()
    )
    script = f"EMAIL = {ORGANISER!r}\nPASSWORD = {PASSWORD!r}\n{SETUP}"
    data = prepare_database(env, script, marker="LIVE-DATA ")
    with daphne(env, work) as (url,):
        yield {"url": url, "quiz": data["quiz"], "correct": set(data["correct"]), "log": work}


@pytest.fixture
def asgi_context(browser, asgi_server):
    """Fresh browser contexts (separate people) pointed at the daphne server."""
    contexts = []

    def make(**options):
        options = {"base_url": asgi_server["url"], "timezone_id": TIMEZONE, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot():
    """Screenshot helper: only when LIVE_SHOTS names a folder (the layout check of a human reviewer)."""
    folder = os.environ.get("LIVE_SHOTS")

    def take(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"))

    return take


def choices_shown(page) -> list[tuple[str, str]]:
    """(token, text) of each answer button: the page names choices by opaque tokens."""
    pairs = page.locator("#pq-choices button[data-choice-id]").evaluate_all(
        "buttons => buttons.map(b => [b.dataset.choiceId, b.querySelector('.answer-text').textContent])"
    )
    return [(token, text) for token, text in pairs]


def my_score(page) -> int:
    return int(page.locator("#my-score").get_attribute("data-score"))


def test_live_game_from_lobby_to_podium(asgi_server, asgi_context, login, submit, shot):
    correct = asgi_server["correct"]
    host = asgi_context(viewport=PROJECTOR).new_page()
    host_root = host.locator("#live-host")

    # The organiser opens a session of the quiz and lands on the projector page, in the lobby.
    login(host, ORGANISER, PASSWORD)
    host.goto("/organiser/live/new/")
    host.select_option("select[name=quiz]", str(asgi_server["quiz"]))
    submit(host, "#live-session-form")
    expect(host).to_have_url(re.compile(r"/live/\d+/host/$"))
    expect(host_root).to_have_attribute("data-view", "lobby")
    expect(host.locator("#start-btn")).to_be_disabled()
    pin = host.locator("#lobby-pin").inner_text().strip()
    assert re.fullmatch(r"\d{6}", pin)
    assert host.locator(".lobby-qr svg").count() == 1

    # Three phones type the PIN on /play/, choose nicknames and appear in the host's list.
    # An answers every question right, Bình only the first, Chi none: the podium order is known in advance.
    plan = {"An": [True, True, True], "Bình": [True, False, False], "Chi": [False, False, False]}
    phones = {}
    for nickname in plan:
        page = asgi_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        page.goto("/play/")
        page.fill("input[name=pin]", pin)
        with page.expect_navigation():
            page.click("#pin-submit")
        assert page.url.endswith(f"/play/{pin}/")
        expect(page.locator("#live-play")).to_have_attribute("data-view", "join")
        page.fill("#nickname", nickname)
        page.click("#join-btn")
        expect(page.locator("#live-play")).to_have_attribute("data-view", "lobby")
        expect(page.locator("#my-nickname")).to_have_text(nickname)
        expect(host.locator(f'#players li[data-nickname="{nickname}"]')).to_have_count(1)
        phones[nickname] = page
    expect(host.locator("#players li")).to_have_count(3)
    expect(host.locator("#lobby-count")).to_have_text("3")
    expect(host.locator("#start-btn")).to_be_enabled()
    shot(host, "host-lobby")

    host.click("#start-btn")
    scores = dict.fromkeys(plan, 0)
    for index in range(3):
        expect(host_root).to_have_attribute("data-view", "question")
        expect(host.locator("#q-progress")).to_contain_text(str(index + 1))
        expect(host.locator("#q-tiles li.tile")).not_to_have_count(0)
        assert host.locator("#q-tiles li.tile svg.shape-icon").count() == host.locator("#q-tiles li.tile").count()
        for nickname, page in phones.items():
            play = page.locator("#live-play")
            expect(play).to_have_attribute("data-view", "question")
            if index == 1 and nickname == "An":
                # A reload mid-game: the phone rejoins with its token, keeps its score and can still answer.
                before = my_score(page)
                assert before > 0
                page.reload()
                expect(play).to_have_attribute("data-view", "question")
                expect(page.locator("#my-score")).to_have_attribute("data-score", str(before))
                assert my_score(page) == scores["An"]
            if index == 0 and nickname == "An":
                shot(page, "phone-question")
            shown = choices_shown(page)
            assert not any(token.isdigit() for token, _text in shown), "no choice id reaches the page"
            right = [token for token, text in shown if text in correct]
            wrong = [token for token, text in shown if text not in correct]
            assert len(right) == 1 and wrong
            pick = right[0] if plan[nickname][index] else wrong[0]
            page.click(f'#pq-choices button[data-choice-id="{pick}"]')
            # acknowledged by the server ("Answer received"; the last answer may already bring the result)
            expect(play).to_have_attribute("data-answered", str(index))
            expect(play).to_have_attribute("data-view", re.compile(r"^(received|result)$"))
            if index == 0 and nickname == "An":
                shot(host, "host-question")

        # Everybody answered: the server reveals on its own; if it has not yet, the host asks for it.
        try:
            expect(host_root).to_have_attribute("data-view", "reveal", timeout=3_000)
        except AssertionError:
            host.click("#reveal-btn")
            expect(host_root).to_have_attribute("data-view", "reveal")
        rows = host.locator("#r-dist li.dist-row")
        expect(rows).not_to_have_count(0)
        counts = rows.evaluate_all("rows => rows.map(r => Number(r.dataset.count))")
        assert sum(counts) == 3, counts
        right_rows = host.locator('#r-dist li.dist-row[data-right="true"]')
        expect(right_rows).to_have_count(1)
        expected_right = sum(1 for answers in plan.values() if answers[index])
        assert int(right_rows.get_attribute("data-count")) == expected_right
        assert right_rows.locator(".right-mark").count() == 1

        for nickname, page in phones.items():
            expect(page.locator("#live-play")).to_have_attribute("data-view", "result")
            expect(page.locator("#pr-verdict")).to_have_attribute("data-right", str(plan[nickname][index]).lower())
            points = int(page.locator("#pr-points").get_attribute("data-points"))
            assert (points > 0) is plan[nickname][index]
            scores[nickname] += points
            expect(page.locator("#my-score")).to_have_attribute("data-score", str(scores[nickname]))
        if index == 0:
            shot(host, "host-reveal")
            shot(phones["An"], "phone-result")
        if index == 1:
            # The projector reloads during the reveal and picks up where the game stands.
            host.reload()
            expect(host_root).to_have_attribute("data-view", "reveal")
            expect(host.locator('#r-dist li.dist-row[data-right="true"]')).to_have_count(1)

        host.click("#leaderboard-btn")
        expect(host_root).to_have_attribute("data-view", "leaderboard")
        board = host.locator("#board li.board-row")
        expect(board).to_have_count(3)
        board_scores = board.evaluate_all("rows => rows.map(r => Number(r.dataset.score))")
        assert board_scores == sorted(scores.values(), reverse=True)
        for page in phones.values():
            expect(page.locator("#live-play")).to_have_attribute("data-view", "leaderboard")
            expect(page.locator("#pl-board li.me")).to_have_count(1)
        if index == 0:
            shot(host, "host-leaderboard")
            shot(phones["Bình"], "phone-leaderboard")
        host.click("#board-next-btn")

    # After the last question "next" ends the game: the podium follows the scores.
    expect(host_root).to_have_attribute("data-view", "ended")
    podium = host.locator("#podium li.podium-step")
    expect(podium).to_have_count(3)
    order = [podium.nth(i).locator(".podium-name").inner_text() for i in range(3)]
    by_score = sorted(plan, key=lambda name: -scores[name])
    assert order == by_score == ["An", "Bình", "Chi"], (order, scores)
    podium_scores = podium.evaluate_all("items => items.map(i => Number(i.dataset.score))")
    assert podium_scores == [scores[name] for name in order]
    assert scores["An"] > scores["Bình"] > scores["Chi"] == 0
    shot(host, "host-podium")
    for rank, nickname in enumerate(order, 1):
        page = phones[nickname]
        expect(page.locator("#live-play")).to_have_attribute("data-view", "ended")
        expect(page.locator("#final-rank")).to_have_text(str(rank))
        expect(page.locator("#final-score")).to_have_attribute("data-score", str(scores[nickname]))
        expect(page.locator("#pe-podium li.me")).to_have_count(1)
    shot(phones["An"], "phone-ended")

    # The exports hold every player with their final score.
    reply = host.request.get(host.locator("#export-csv").get_attribute("href"))
    assert reply.ok
    table = reply.text()
    for nickname, score in scores.items():
        assert re.search(rf"{nickname},[^\n]*{score}", table), table


def test_unknown_pin_is_refused_on_the_join_page(asgi_context):
    page = asgi_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto("/play/")
    expect(page.locator("input[name=pin]")).to_have_attribute("inputmode", "numeric")
    page.fill("input[name=pin]", "000000")
    with page.expect_navigation():
        page.click("#pin-submit")
    expect(page.locator("#pin-error")).to_be_visible()
    expect(page.locator("input[name=pin]")).to_have_attribute("aria-invalid", "true")
