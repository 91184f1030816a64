"""Joining a live game by PIN over HTTP: a running game is found; wrong PINs are counted per address and,
past the limit, every PIN from that address is refused with 429 before any lookup (no oracle left)."""

import pytest
from django.test import Client
from django.urls import reverse

from live import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_session(quiz, organiser):
    return services.session_create(quiz=quiz, host=organiser, question_time_s=20)


@pytest.fixture
def few_wrong_pins(monkeypatch):
    monkeypatch.setattr(services, "WRONG_PINS", 3)


def _wrong_pin(live_session) -> str:
    return "100000" if live_session.pin != "100000" else "100001"


def test_the_right_pin_leads_to_the_game_and_a_wrong_one_says_so(client, live_session):
    response = client.get(reverse("live_play_start"), {"pin": live_session.pin})
    assert response.status_code == 302 and response["Location"] == reverse("live_play", args=[live_session.pin])
    wrong = client.get(reverse("live_play_start"), {"pin": _wrong_pin(live_session)})
    assert wrong.status_code == 200 and "Không có trò chơi nào" in wrong.content.decode()


def test_guessing_pins_is_stopped_and_then_even_the_right_pin_tells_nothing(live_session, few_wrong_pins):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _attempt in range(3):
        assert client.get(reverse("live_play_start"), {"pin": _wrong_pin(live_session)}).status_code == 200
    refused = client.get(reverse("live_play_start"), {"pin": live_session.pin})
    assert refused.status_code == 429
    assert "Đã nhập sai mã PIN quá nhiều lần" in refused.content.decode()
    assert client.get(reverse("live_play", args=[live_session.pin])).status_code == 429
    assert live_session.players.count() == 0
    # Another network (another class) still joins.
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert other.get(reverse("live_play", args=[live_session.pin])).status_code == 200


def test_wrong_pins_in_the_game_address_count_too(live_session, few_wrong_pins):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for attempt in range(3):
        response = client.get(reverse("live_play", args=[f"99999{attempt}"]))
        assert response.status_code == 302 and response["Location"] == reverse("live_play_start")
    assert client.get(reverse("live_play_start"), {"pin": live_session.pin}).status_code == 429


def test_typing_the_right_pin_again_and_again_is_never_refused(client, live_session, few_wrong_pins):
    for _attempt in range(10):
        assert client.get(reverse("live_play_start"), {"pin": live_session.pin}).status_code == 302


@pytest.mark.parametrize("export", ["live_results_csv", "live_results_xlsx"])
def test_the_results_export_escapes_formulas_in_nicknames_and_email_addresses(
    client, live_session, organiser, make_user, export
):
    """A nickname or an e-mail address typed as a formula must reach the organiser's spreadsheet as text."""
    import io

    from openpyxl import load_workbook

    sneaky = make_user("sneaky@example.vn")
    type(sneaky).objects.filter(pk=sneaky.pk).update(email="=HYPERLINK(2)")
    sneaky.refresh_from_db()
    services.player_join(session=live_session, nickname="=HYPERLINK(1)", user=sneaky)
    client.force_login(organiser)
    response = client.get(reverse(export, args=[live_session.pk]))
    assert response.status_code == 200
    if export.endswith("csv"):
        cells = response.content.decode("utf-8-sig").splitlines()[1]
        assert cells.startswith("1,'=HYPERLINK(1),'=HYPERLINK(2),")
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        row = [cell.value for cell in sheet[2]]
        assert row[1] == "'=HYPERLINK(1)" and row[2] == "'=HYPERLINK(2)"
