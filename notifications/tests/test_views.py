import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from notifications import services
from notifications.kinds import Kind
from notifications.models import Notification, Preference, RoundReminder

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, citizen):
    client.force_login(citizen)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _notify(user, key, url="/"):
    services.notify(user, Kind.APPEAL_ANSWERED, key=key, params={"title": "Vòng 1"}, url=url)
    return Notification.objects.get(user=user, key=key)


def test_the_bell_shows_the_unread_count(signed_in, citizen):
    page = signed_in.get(reverse("home")).content.decode()
    assert 'id="bell"' in page and 'id="bell-count"' not in page
    _notify(citizen, "a:1")
    _notify(citizen, "a:2")
    page = signed_in.get(reverse("home")).content.decode()
    assert 'id="bell-count">2<' in page


def test_anonymous_visitors_see_no_bell_and_are_sent_to_sign_in(client):
    assert 'id="bell"' not in client.get(reverse("home")).content.decode()
    response = client.get(reverse("notification_list"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_list_shows_only_my_in_site_notifications(signed_in, citizen, participant):
    _notify(citizen, "a:1")
    _notify(participant, "a:2")
    services.preferences_set(user=citizen, choices={Kind.CERTIFICATE_ISSUED: {"site": False, "email": True}})
    services.notify(citizen, Kind.CERTIFICATE_ISSUED, key="certificate:X", params={"title": "Thi", "code": "SECRET9"})
    page = signed_in.get(reverse("notification_list")).content.decode()
    assert "Your appeal about “Vòng 1” was answered." in page
    assert page.count('id="notification-') == 1
    assert "SECRET9" not in page


def test_mark_read_is_a_post_on_my_own_notification(signed_in, citizen, participant):
    mine, theirs = _notify(citizen, "a:1", url="/events/x/"), _notify(participant, "a:2")
    url = reverse("notification_read", args=[mine.pk])
    assert signed_in.get(url).status_code == 405
    assert signed_in.post(reverse("notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = signed_in.post(url, {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/events/x/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_open_never_redirects_off_site(signed_in, citizen):
    note = _notify(citizen, "a:1", url="https://evil.example/")
    response = signed_in.post(reverse("notification_read", args=[note.pk]), {"open": "1"})
    assert response["Location"] == reverse("notification_list")


def test_mark_all_read(signed_in, citizen, participant):
    _notify(citizen, "a:1"), _notify(citizen, "a:2"), _notify(participant, "a:3")
    response = signed_in.post(reverse("notification_read_all"), follow=True)
    assert "All notifications are marked as read." in response.content.decode()
    assert not Notification.objects.filter(user=citizen, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=participant, read_at__isnull=True).count() == 1


def test_csrf_is_enforced(citizen):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(citizen)
    assert strict.post(reverse("notification_read_all")).status_code == 403


def test_preferences_page_saves_each_kind_and_channel(signed_in, citizen, settings):
    settings.NOTIFICATION_CHANNELS = []
    page = signed_in.get(reverse("notification_preferences")).content.decode()
    assert 'name="results_published:email"' in page and ":phone" not in page
    response = signed_in.post(reverse("notification_preferences"), {"results_published:site": "on"})
    assert response.status_code == 302
    saved = Preference.objects.get(user=citizen, kind=Kind.RESULTS_PUBLISHED)
    assert (saved.site, saved.email, saved.phone) == (True, False, False)
    assert Preference.objects.get(user=citizen, kind=Kind.ROUND_OPENS).site is False
    settings.NOTIFICATION_CHANNELS = ["notifications.backends.ConsoleBackend"]
    assert 'name="results_published:phone"' in signed_in.get(reverse("notification_preferences")).content.decode()


def test_remind_me_on_a_visible_round_only(signed_in, citizen, make_event):
    event = make_event(state="open")
    rnd = event.rounds.get()
    page = signed_in.get(event.get_absolute_url()).content.decode()
    assert reverse("round_remind", args=[rnd.pk]) in page
    assert signed_in.post(reverse("round_remind", args=[rnd.pk])).status_code == 302
    assert RoundReminder.objects.filter(user=citizen, round=rnd).exists()
    hidden = make_event(state="open", visibility="invite", invite_code="BI-MAT", slug="kin")
    assert signed_in.post(reverse("round_remind", args=[hidden.rounds.get().pk])).status_code == 404
