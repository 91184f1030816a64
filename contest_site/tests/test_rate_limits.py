"""The shared rate-limit counter (windows, atomicity) and allauth's limits on sign-in and sign-up, refused
with HTTP 429 or allauth's own message, in Vietnamese unless English was chosen."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from contest_site import ratelimit

TOO_MANY_VI = "Bạn đã thử quá nhiều lần trong thời gian ngắn"
T0 = dt.datetime(2025, 11, 3, 8, 0, tzinfo=dt.UTC)


def test_a_limit_counts_within_its_window_and_starts_again_in_the_next():
    assert [ratelimit.hit("k", limit=3, period_s=60, now=T0) for _ in range(4)] == [True, True, True, False]
    assert ratelimit.hit("k", limit=3, period_s=60, now=T0 + dt.timedelta(seconds=59)) is False
    assert ratelimit.hit("k", limit=3, period_s=60, now=T0 + dt.timedelta(seconds=60)) is True
    assert ratelimit.hit("other", limit=3, period_s=60, now=T0) is True  # keys count apart


def test_looking_at_a_limit_counts_nothing():
    for _ in range(2):
        assert ratelimit.over("look", limit=2, period_s=60, now=T0) is False
    ratelimit.hit("look", limit=2, period_s=60, now=T0)
    assert ratelimit.over("look", limit=2, period_s=60, now=T0) is False
    ratelimit.hit("look", limit=2, period_s=60, now=T0)
    assert ratelimit.over("look", limit=2, period_s=60, now=T0) is True


def test_concurrent_requests_never_take_more_than_the_limit():
    def attempt(_index):
        return ratelimit.hit("race", limit=5, period_s=60, now=T0)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(40)))
    assert results.count(True) == 5


# --- allauth ---------------------------------------------------------------------------------------


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.mark.django_db
def test_after_five_wrong_passwords_even_the_right_one_is_refused(make_user):
    user = make_user("slow-fingers@example.vn")
    client = Client(REMOTE_ADDR="203.0.113.10")
    for _attempt in range(5):
        assert _login(client, user.email, "wrong-password").status_code == 200
    response = _login(client, user.email, PASSWORD)
    assert response.status_code in (200, 429) and not response.wsgi_request.user.is_authenticated
    assert "Bạn đã đăng nhập sai quá nhiều lần" in response.content.decode()
    # Another account from the same address is not locked out by this one's failures.
    other = make_user("steady@example.vn")
    assert _login(client, other.email, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_31st_sign_in_attempt_in_a_minute_from_one_address_gets_429(make_user):
    client = Client(REMOTE_ADDR="203.0.113.11")
    for index in range(30):
        assert _login(client, f"guess{index}@example.vn", "x").status_code == 200
    user = make_user("late@example.vn")
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 429 and not response.wsgi_request.user.is_authenticated
    assert TOO_MANY_VI in response.content.decode()
    assert _login(Client(REMOTE_ADDR="203.0.113.12"), user.email, PASSWORD).status_code == 302  # others may


@pytest.mark.django_db
def test_the_21st_sign_up_in_a_minute_from_one_address_gets_429_and_creates_nobody():
    client = Client(REMOTE_ADDR="203.0.113.13")
    for _attempt in range(20):
        assert client.post(reverse("account_signup"), {}).status_code == 200  # invalid forms count too
    form = {"email": "new@example.vn", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post(reverse("account_signup"), form)
    assert response.status_code == 429 and TOO_MANY_VI in response.content.decode()
    assert not get_user_model().objects.filter(email="new@example.vn").exists()


@pytest.mark.django_db
def test_the_refusal_speaks_english_when_english_was_chosen():
    client = Client(REMOTE_ADDR="203.0.113.14")
    client.cookies["django_language"] = "en"
    for _attempt in range(20):
        client.post(reverse("account_signup"), {})
    body = client.post(reverse("account_signup"), {}).content.decode()
    assert "Too many attempts in a short time" in body and '<html lang="en">' in body


# --- the admin's sign-in, limited like allauth's ------------------------------------------------------


def _admin_login(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"})


@pytest.mark.django_db
def test_admin_login_after_five_wrong_passwords_refuses_even_the_right_one(make_user):
    admin = make_user("chief@example.vn", superuser=True)
    client = Client(REMOTE_ADDR="203.0.113.40")
    for _attempt in range(5):
        assert _admin_login(client, admin.username, "wrong-password").status_code == 200
    response = _admin_login(client, admin.username, PASSWORD)
    assert response.status_code == 429 and not response.wsgi_request.user.is_authenticated
    # Another account from the same address is not locked out by this one's failures.
    other = make_user("deputy@example.vn", superuser=True)
    assert _admin_login(client, other.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_admin_login_11th_failure_in_a_minute_from_one_address_gets_429(make_user):
    client = Client(REMOTE_ADDR="203.0.113.41")
    for index in range(10):  # ten different accounts: the per-address limit, not the per-account one
        assert _admin_login(client, f"guess{index}", "x").status_code == 200
    admin = make_user("boss@example.vn", superuser=True)
    response = _admin_login(client, admin.username, PASSWORD)
    assert response.status_code == 429 and not response.wsgi_request.user.is_authenticated
    assert _admin_login(Client(REMOTE_ADDR="203.0.113.42"), admin.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_admin_login_still_signs_staff_in(make_user):
    admin = make_user("fine@example.vn", superuser=True)
    response = _admin_login(Client(REMOTE_ADDR="203.0.113.43"), admin.username, PASSWORD)
    assert response.status_code == 302 and response.wsgi_request.user.is_authenticated
