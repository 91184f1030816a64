"""Appeal pages: who may read and write what (404 for others, as for a missing appeal), the flow through the
client, the results page's link and the exported log."""

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from appeals import services
from appeals.models import Appeal
from conftest import PASSWORD
from leaderboard.models import ResultRow

from .conftest import wrong_item

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.login(username=user.username, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def appeal(published, player):
    return services.appeal_create(rnd=published, user=player, kind="score", text='=HYPERLINK("x") xin xem lại')


def test_the_results_page_links_to_the_appeal_form_for_a_participant(client, published, player):
    page = client_for(client, player).get(reverse("event_results", args=[published.event.slug]))
    assert reverse("round_appeals", args=[published.pk]) in page.content.decode()


def test_a_participant_appeals_through_the_form(client, published, player):
    client_for(client, player)
    url = reverse("round_appeals", args=[published.pk])
    item = wrong_item(published, player)
    page = client.get(url)
    assert page.status_code == 200 and "appeal-form" in page.content.decode()
    response = client.post(url, {"kind": "question", "item": item.pk, "text": "Đáp án sai"})
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("appeal_detail", args=[appeal.pk])
    assert appeal.question == item.question


def test_a_forged_item_is_refused(client, published, player, player2):
    client_for(client, player)
    response = client.post(
        reverse("round_appeals", args=[published.pk]),
        {"kind": "question", "item": wrong_item(published, player2).pk, "text": "x"},
    )
    assert response.status_code == 200 and not Appeal.objects.exists()


def test_nobody_else_reads_a_participants_appeal(client, appeal, player2, other_organiser, judge):
    for user in (player2, other_organiser, judge):
        client.logout()
        assert client_for(client, user).get(reverse("appeal_detail", args=[appeal.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("appeal_detail", args=[appeal.pk])).status_code == 302  # to the sign-in page


@pytest.mark.parametrize("name", ["organiser_appeal"])
def test_only_the_events_organisers_open_and_answer(client, appeal, name, player, player2, other_organiser, judge):
    url = reverse(name, args=[appeal.pk])
    for user in (player, player2, other_organiser, judge):
        client.logout()
        client_for(client, user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"answer": "1", "decision": "reject", "reason": "x"}).status_code == 404
    appeal.refresh_from_db()
    assert appeal.status == "open"


def test_inbox_export_and_policy_are_the_events_organisers_only(client, appeal, other_organiser, player):
    event = appeal.round.event
    urls = [
        reverse("organiser_appeals", args=[event.pk]),
        reverse("organiser_appeals_xlsx", args=[event.pk]),
    ]
    for user in (other_organiser, player):
        client.logout()
        client_for(client, user)
        for url in urls:
            assert client.get(url).status_code == 404
        policy = reverse("organiser_appeal_policy", args=[appeal.round_id])
        assert (
            client.post(policy, {f"r{appeal.round_id}-days": 0, f"r{appeal.round_id}-max_per_round": 1}).status_code
            == 404
        )
    assert appeal.round.appeal_policy.days == 7


def test_the_organiser_answers_and_the_participant_reads_it(client, appeal, organiser, player):
    client_for(client, organiser)
    inbox = client.get(reverse("organiser_appeals", args=[appeal.round.event_id]))
    assert f"#{appeal.pk}" in inbox.content.decode()
    url = reverse("organiser_appeal", args=[appeal.pk])
    response = client.post(
        url,
        {"answer": "1", "decision": "accept", "resolution": "points", "points_change": "0.5", "reason": "Cộng điểm."},
    )
    assert response.status_code == 302
    assert ResultRow.objects.get(user=player).total == Decimal("4.5")
    client.logout()
    page = client_for(client, player).get(reverse("appeal_detail", args=[appeal.pk]))
    assert "Cộng điểm." in page.content.decode() and "Accepted" in page.content.decode()


def test_an_answer_without_reason_changes_nothing(client, appeal, organiser):
    client_for(client, organiser)
    client.post(reverse("organiser_appeal", args=[appeal.pk]), {"answer": "1", "decision": "reject", "reason": ""})
    appeal.refresh_from_db()
    assert appeal.status == "open"


def test_the_organiser_sets_a_rounds_window(client, published, organiser):
    client_for(client, organiser)
    prefix = f"r{published.pk}"
    client.post(
        reverse("organiser_appeal_policy", args=[published.pk]), {f"{prefix}-days": 3, f"{prefix}-max_per_round": 5}
    )
    published.appeal_policy.refresh_from_db()
    assert (published.appeal_policy.days, published.appeal_policy.max_per_round) == (3, 5)
    client.post(
        reverse("organiser_appeal_policy", args=[published.pk]), {f"{prefix}-days": 99, f"{prefix}-max_per_round": 5}
    )
    published.appeal_policy.refresh_from_db()
    assert published.appeal_policy.days == 3


def test_the_log_export_writes_typed_text_as_text(client, appeal, organiser):
    client_for(client, organiser)
    response = client.get(reverse("organiser_appeals_xlsx", args=[appeal.round.event_id]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Number" and rows[1][0] == appeal.pk
    assert rows[1][6].startswith("'=HYPERLINK")


def test_participant_messages_in_the_thread(client, appeal, player):
    client_for(client, player)
    url = reverse("appeal_detail", args=[appeal.pk])
    assert client.post(url, {"body": "Bổ sung: câu 3"}).status_code == 302
    assert appeal.messages.count() == 2


def test_the_attempt_result_page_links_to_the_appeal_form(client, published, player):
    from quizzes.models import Attempt

    attempt = Attempt.objects.get(user=player, quiz_round__round=published)
    page = client_for(client, player).get(reverse("attempt_result", args=[attempt.pk]))
    assert reverse("round_appeals", args=[published.pk]) in page.content.decode()
