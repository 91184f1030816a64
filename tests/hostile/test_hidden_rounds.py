"""Hidden means hidden: while a round's board is closed (a prediction round before its close), no number
derived from its scores reaches any public page, feed or file.

The hidden round's scores are distinctive (7.77 and 3.33 of 10, by 37 people, so also 77.7 % and 33.3 % on
the playground's weekly board) and nobody else scores like that. The walk GETs every URL pattern of the site
(admin aside), reversed with every id, slug and code of the test's objects, as an anonymous visitor and as a
signed-in participant who is not a scorer of the hidden round, and looks for those numbers in every HTML,
JSON, CSV and XLSX body. Once the board opens, the same walk must find them (so it can see them at all).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import re
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from contests import services as contest_services
from contests.models import ClassAccount, Event, EventTransition, Organisation, Round
from leaderboard import selectors
from leaderboard.services import board_release, score_record
from quizzes import services as quiz_services

pytestmark = pytest.mark.django_db

HIDDEN_POINTS = [Decimal("7.77")] * 36 + [Decimal("3.33")]  # 37 participants, of 10 points each
VISIBLE_POINTS = Decimal("5")  # the bystander's score in the event's public round

# What a page could derive from the hidden scores: the points (either decimal mark), the weekly board's
# percentages, and the number of people (a participant count, a histogram bar: 37 in all, 36 on 7.77) as
# a page shows a count, alone in a cell (a bare "37" is also a region's id in every form).
NEEDLES = [
    re.compile(pattern)
    for pattern in (
        r"7[.,]77",
        r"3[.,]33",
        r"77[.,]7",
        r"33[.,]3",
        r">\s*3[67]\s*<",  # a count in a table cell or a bar
        r"[:\[,]\s*3[67]\s*[,}\]]",  # a count in JSON
    )
]
# Pages that show the hidden round's numbers once its board is open: proof that the walk can see them.
REVEALING = {
    "round_board",
    "embed_board",
    "api_round_board",
    "event_board",
    "unit_board",
    "event_statistics",
    "playground",
}

BINARY = ("application/pdf", "application/zip", "image/", "audio/", "video/", "application/octet-stream")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def site(make_event, make_user, complete_profile, organiser, quiz, organisation, now):
    """A public, open playground with a public round and a prediction round; 37 people scored in the latter."""
    event = make_event(state=Event.State.DRAFT, rounds=2, kind=Event.Kind.PLAYGROUND, title="Sân chơi")
    public_round, hidden_round = event.rounds.order_by("position")
    settings = {"time_limit_s": 600, "attempts_allowed": 2}
    quiz_services.quiz_round_configure(rnd=public_round, quiz=quiz, settings=settings)
    quiz_services.quiz_round_configure(
        rnd=hidden_round, quiz=quiz, settings={**settings, "prediction_prompt": "Bao nhiêu người đúng hết?"}
    )
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=organiser)
    Organisation.objects.filter(pk=organisation.pk).update(group="THCS", headcount=400)

    bystander = make_user("bystander@example.vn", profile=complete_profile("+84912000700"))
    score_record(rnd=public_round, user=bystander, points=VISIBLE_POINTS, max_points=Decimal(10), submitted_at=now)
    for index, points in enumerate(HIDDEN_POINTS):
        scorer = make_user(
            f"scorer{index}@example.vn",
            profile={**complete_profile(f"+849120008{index:02d}"), "organisation": organisation},
        )
        score_record(
            rnd=hidden_round,
            user=scorer,
            points=points,
            max_points=Decimal(10),
            submitted_at=now - dt.timedelta(minutes=index),
            time_used_ms=60_000 + index,
            prediction=37,
        )
    return {"event": event, "hidden_round": hidden_round, "bystander": bystander}


def open_board(rnd: Round, now: dt.datetime) -> None:
    """Let time pass until the round's board opens: its close and any grace long past, every score in
    (``released_at``, which the round's app sets once every attempt is closed)."""
    Round.objects.filter(pk=rnd.pk).update(opens_at=now - dt.timedelta(days=3), closes_at=now - dt.timedelta(days=2))
    EventTransition.objects.filter(event_id=rnd.event_id).update(at=now - dt.timedelta(days=4))  # opened back then
    board_release(rnd=rnd, now=now - dt.timedelta(days=1))


# --- The walk -----------------------------------------------------------------------------------


def site_patterns(patterns=None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    """(name, pattern) of every named URL pattern of the site but the admin's, nested includes walked."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            if inner != "admin":
                found += site_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and not _third_party_sign_in(pattern):
            found.append((f"{namespace}:{pattern.name}" if namespace else pattern.name, pattern))
    return found


def _third_party_sign_in(pattern: URLPattern) -> bool:
    """Google/Facebook sign-in hands over to the provider (and needs its app keys): nothing of ours."""
    return getattr(pattern.callback, "__module__", "").startswith("allauth.socialaccount.providers")


def candidates() -> dict[str, list]:
    """Every value the walk tries for each URL parameter name: all the objects of the test's site."""
    from appeals.models import Appeal
    from forums.models import Post, Resource, Topic
    from judging.models import Assignment, JudgeInvitation, RoundJudge
    from leaderboard.models import Certificate
    from live.models import LiveSession
    from notifications.models import Notification
    from quizzes.models import Attempt, Question, QuestionBank, Quiz
    from submissions.models import Entry, EntryVersion

    def pks(model) -> list[int]:
        return list(model.objects.order_by("pk").values_list("pk", flat=True)) or [1]

    return {
        "slug": [
            *Event.objects.values_list("slug", flat=True),
            *Organisation.objects.values_list("slug", flat=True),
            *QuestionBank.objects.values_list("slug", flat=True),
        ],
        "round_id": pks(Round),
        "event_id": pks(Event),
        "attempt_id": pks(Attempt),
        "question_id": pks(Question),
        "session_id": pks(LiveSession),
        "bank_id": pks(QuestionBank),
        "quiz_id": pks(Quiz),
        "entry_id": pks(Entry),
        "version_id": pks(EntryVersion),
        "assignment_id": pks(Assignment),
        "judge_id": pks(RoundJudge),
        "invitation_id": pks(JudgeInvitation),
        "topic_id": pks(Topic),
        "post_id": pks(Post),
        "resource_id": pks(Resource),
        "appeal_id": pks(Appeal),
        "account_id": pks(ClassAccount),
        "notification_id": pks(Notification),
        "kind": ["data", "guardian"],
        "pin": list(LiveSession.objects.values_list("pin", flat=True)) or ["000000"],
        "code": list(Certificate.objects.values_list("code", flat=True)) or ["NOCODE"],
        "token": ["forged-token"],
        "part": ["original", "web"],
        "key": ["forged-key"],
        "uidb36": ["1"],
    }


def urls_to_walk() -> list[tuple[str, str]]:
    """(name, URL) for every pattern, reversed with every combination of candidate values."""
    values = candidates()
    walked = []
    for name, pattern in site_patterns():
        params = sorted(pattern.pattern.regex.groupindex)
        unknown = [p for p in params if p not in values]
        assert not unknown, f"{name}: no candidate values for {unknown}; add them to candidates()"
        for combination in itertools.product(*(values[p] for p in params)):
            kwargs = dict(zip(params, combination, strict=True))
            with contextlib.suppress(NoReverseMatch):  # a value that does not fit the converter
                walked.append((name, reverse(name, kwargs=kwargs)))
    return walked


def body_text(response) -> str:
    """What a person could read in the response: HTML, JSON, CSV as text; an XLSX's cells; nothing of
    media, PDFs and archives (the certificate's PDF prints a published result row, not a score)."""
    content_type = response.get("Content-Type", "")
    if getattr(response, "streaming", False):
        if content_type.startswith(BINARY):
            return ""
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    if content_type.startswith(XLSX):
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(
            " ".join("" if cell is None else str(cell) for cell in row)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if content_type.startswith(BINARY):
        return ""
    return data.decode("utf-8", errors="replace")


def walk(client, users) -> dict[str, set[str]]:
    """GET every URL as every visitor; {URL name: the needles found in its bodies}."""
    seen: dict[str, set[str]] = {}
    urls = urls_to_walk()
    for user in users:
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, url in urls:
            response = client.get(url)
            assert response.status_code < 500, f"{url}: {response.status_code}"
            text = body_text(response)
            found = {needle.pattern for needle in NEEDLES if needle.search(text)}
            if found:
                seen.setdefault(name, set()).update(found)
    return seen


def test_no_public_page_shows_a_number_of_a_round_whose_board_is_closed(client, site, now):
    visitors = [None, site["bystander"]]
    config = selectors.board_config(rnd=site["hidden_round"])
    assert not selectors.board_is_public(config=config, now=now)
    assert walk(client, visitors) == {}

    open_board(site["hidden_round"], now)
    config = selectors.board_config(rnd=Round.objects.get(pk=site["hidden_round"].pk))
    assert selectors.board_is_public(config=config, now=now)
    seen = walk(client, visitors)
    assert set(seen) >= REVEALING, f"the walk should see the open board on {REVEALING - set(seen)}"
