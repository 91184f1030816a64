"""Appeal flow (issue 16): a participant asks for a review from the results page, an organiser of the event
answers in the inbox, and the participant reads the answer; the accepted change is in the public audit log."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def published_event(make_organiser, make_user, transactional_db):
    """An event that closed ten days ago, with one round, published results and a 30-day appeal window.

    Set up on a thread of its own: recording a score pings the boards through ``async_to_sync``, which the
    test thread (where Playwright's event loop runs) cannot call."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def setup():
        try:
            return _publish(make_organiser, make_user)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(setup).result()


def _publish(make_organiser, make_user):
    from appeals import services as appeals
    from contests import services as contests
    from contests.models import Event
    from leaderboard import results
    from leaderboard.services import score_record

    organiser, organisation = make_organiser("btc@example.vn", organisation_name="Sở Giáo dục", slug="so-gd")
    participant = make_user("thi.sinh@example.vn")
    other = make_user("nguoi.khac@example.vn")
    now = timezone.now().replace(microsecond=0)
    window = {"opens_at": now - dt.timedelta(days=20), "closes_at": now - dt.timedelta(days=10)}
    event = contests.event_create(
        organisation=organisation, by=organiser, fields={"title": "Cuộc thi phúc khảo", "kind": "contest", **window}
    )
    rnd = contests.round_create(event=event, fields={"title": "Vòng 1", "kind": "quiz", **window})
    contests.event_transition(event=event, to_state=Event.State.OPEN, by=organiser)
    for index, user in enumerate([participant, other]):
        score_record(rnd=rnd, user=user, points=Decimal(8 + index), max_points=Decimal(10), submitted_at=now)
    contests.event_transition(event=event, to_state=Event.State.CLOSED, by=organiser)
    event.refresh_from_db()
    results.results_publish(event=event, by=organiser, prizes={"first": 1})
    appeals.appeal_policy_set(rnd=rnd, days=30, max_per_round=3)
    return {"event": event, "round": rnd, "organiser": organiser, "participant": participant}


def test_participant_appeals_organiser_answers_participant_reads(new_context, login, submit, published_event):
    from appeals.models import Appeal
    from leaderboard.models import Correction, ResultRow

    event, rnd = published_event["event"], published_event["round"]
    participant = new_context().new_page()
    login(participant, published_event["participant"].email)
    participant.goto(f"/events/{event.slug}/results/")
    with participant.expect_navigation():
        participant.click(f"#appeals a[href='/rounds/{rnd.pk}/appeals/']")
    participant.check("input[name=kind][value=score]")
    participant.fill("textarea[name=text]", "Em làm đúng câu 4 nhưng không được tính điểm.")
    submit(participant, "#appeal-form")
    appeal = Appeal.objects.get()
    expect(participant).to_have_url(re.compile(rf"/appeals/{appeal.pk}/$"))
    expect(participant.locator("#appeal-status .appeal-open")).to_have_count(1)

    organiser = new_context().new_page()
    login(organiser, published_event["organiser"].email)
    organiser.goto(f"/organiser/events/{event.pk}/")
    with organiser.expect_navigation():
        organiser.click(f"a[href='/organiser/events/{event.pk}/appeals/']")
    with organiser.expect_navigation():
        organiser.click(f"a[href='/organiser/appeals/{appeal.pk}/']")
    organiser.check("input[name=decision][value=accept]")
    organiser.select_option("select[name=resolution]", value="points")
    organiser.fill("input[name=points_change]", "1")
    organiser.fill("#answer-form textarea[name=reason]", "Câu 4 được chấm lại: cộng 1 điểm.")
    submit(organiser, "#answer-form")
    expect(organiser.locator("#appeal-status .appeal-accepted")).to_have_count(1)

    participant.reload()
    expect(participant.locator("#appeal-status .appeal-accepted")).to_have_count(1)
    expect(participant.locator("#appeal-answer")).to_contain_text("cộng 1 điểm")
    row = ResultRow.objects.get(user=published_event["participant"])
    assert row.total == Decimal(9)
    assert Correction.objects.filter(row=row, field="total").exists()
    participant.goto(f"/events/{event.slug}/results/")
    expect(participant.locator("#corrections")).to_contain_text("cộng 1 điểm")
