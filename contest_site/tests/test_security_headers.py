"""Security headers on every page: CSP, framing, referrer, sniffing, opener, powerful features; HTTPS-only
headers and cookie flags under the production settings; the embeddable board framed by any site."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from conftest import PASSWORD
from contest_site.settings import env

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.fixture
def production_security(monkeypatch) -> dict:
    """The HTTPS and cookie settings exactly as contest_site.settings.production computes them.

    Only those are laid over the test settings: the rest of production (PostgreSQL, collected static files)
    is what the subprocess check --deploy test covers."""
    monkeypatch.setattr(env, "SECRET_KEY", "prod-" + "k8Zq3vN1xR7wL2pT5yH9cJ4mB6nD0fG" * 2)
    monkeypatch.delitem(sys.modules, "contest_site.settings.production", raising=False)
    production = importlib.import_module("contest_site.settings.production")
    monkeypatch.delitem(sys.modules, "contest_site.settings.production")
    prefixes = ("SECURE_", "SESSION_COOKIE_", "CSRF_COOKIE_")
    return {name: getattr(production, name) for name in dir(production) if name.startswith(prefixes)}


def test_every_page_runs_only_our_own_code(client):
    response = client.get(reverse("home"))
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"] and csp["media-src"] == ["'self'", "blob:"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'self'"]
    assert csp["form-action"][0] == "'self'" and csp["frame-ancestors"] == ["'none'"]
    # This host's WebSockets, named for browsers that do not count them as 'self'; nobody else's.
    assert csp["connect-src"] == ["'self'", "ws://testserver"]


def test_the_websocket_source_follows_https(client):
    csp = policy(client.get(reverse("home"), secure=True))
    assert csp["connect-src"] == ["'self'", "wss://testserver"]


def test_framing_sniffing_referrer_opener_and_powerful_features(client):
    response = client.get(reverse("home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    features = dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))
    assert features["camera"] == "(self)" and features["microphone"] == "(self)"  # the read-aloud recorder
    assert features["geolocation"] == "()" and features["payment"] == "()" and features["usb"] == "()"


def test_error_pages_and_json_carry_the_headers_too(client):
    for response in (client.get("/no-such-page/"), client.get("/api/v1/openapi.json")):
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "Permissions-Policy" in response


def test_the_embeddable_board_may_be_framed_by_any_site_and_nothing_else_may(client, make_event):
    rnd = make_event(state="open").rounds.get()
    response = client.get(reverse("embed_board", args=[rnd.pk]))
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    csp = policy(response)
    assert csp["frame-ancestors"] == ["*"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]  # still only our own code
    assert policy(client.get(reverse("round_board", args=[rnd.pk])))["frame-ancestors"] == ["'none'"]


def test_production_sends_hsts_over_https_and_redirects_plain_http(production_security):
    with override_settings(**production_security):
        client = Client()
        secure = client.get(reverse("home"), secure=True)
        assert secure.status_code == 200
        assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        plain = client.get(reverse("home"))
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        # Behind nginx, which terminates TLS and says so.
        proxied = client.get(reverse("home"), headers={"X-Forwarded-Proto": "https"})
        assert proxied.status_code == 200 and "Strict-Transport-Security" in proxied


def test_production_session_and_csrf_cookies_are_secure_and_the_session_hidden_from_scripts(
    production_security, make_user
):
    # An address of its own: allauth counts failed sign-ins per address (5 in 5 minutes) in the cache, which
    # outlives each test, and other tests sign in as the shared participant on purpose with a wrong password.
    participant = make_user("secure.cookies@example.vn")
    with override_settings(**production_security):
        client = Client(REMOTE_ADDR="203.0.113.90")
        page = client.get(reverse("account_login"), secure=True)
        assert page.cookies["csrftoken"]["secure"] is True
        response = client.post(
            reverse("account_login"), {"login": participant.email, "password": PASSWORD}, secure=True
        )
        assert response.status_code == 302
        session = response.cookies["sessionid"]
        assert session["secure"] is True and session["httponly"] is True and session["samesite"] == "Lax"
