"""Browser tests: Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Data is set up through the app's services, as the app itself does; pages are found by URL, form
action, input name and id, never by visible text (the UI is being translated).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SKIP_REASON = "browser tests need Debian's chromium: apt-get install -y chromium (make e2e / .ci/run install it)"
PASSWORD = "a-Strong-pass-123"
TIMEZONE = "Asia/Ho_Chi_Minh"  # settings.TIME_ZONE: the browser reads dates the way the server does
TIMEOUT_MS = 15_000
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.hookimpl(trylast=True)  # after pytest-django's own reordering (database tests first)
def pytest_collection_modifyitems(config, items):
    """Run browser tests last, and skip them all when chromium is missing.

    Last, because the session's browser keeps Playwright's event loop running in the test thread (and
    DJANGO_ALLOW_ASYNC_UNSAFE set) until the session ends: async tests and subprocesses that run after
    the first browser test would inherit both. pytest-django puts database-free tests after
    transactional ones, so without this ``make test`` would run them inside Playwright's loop.
    """
    browser_tests = [item for item in items if item.get_closest_marker("e2e")]
    if not browser_tests:
        return
    others = [item for item in items if not item.get_closest_marker("e2e")]
    items[:] = others + browser_tests
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(reason=SKIP_REASON)
        for item in browser_tests:
            item.add_marker(skip)


# --- Browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    # While Playwright's sync API is started, an event loop runs in the test thread, and Django refuses
    # every ORM call made there (setting up data, checking outcomes) with SynchronousOnlyOperation.
    # Allow them exactly as long as that loop runs, so that the rest of the suite keeps Django's guard.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def new_context(browser, live_server):
    """Open fresh browser contexts (separate cookie jars = separate people) on the live server."""
    contexts = []

    def make(**options):
        options = {"base_url": live_server.url, "timezone_id": TIMEZONE, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """allauth's rate limits live in the cache, which outlives each test's database: start from zero."""
    if request.node.get_closest_marker("e2e"):
        from django.core.cache import cache

        cache.clear()


# --- Data (helpers are fixtures that return functions, so tests need not import conftest) ----------


@pytest.fixture
def regions(transactional_db):
    """The bundled region tree, by code."""
    from django.core.management import call_command

    from contests.models import Region

    call_command("load_regions", verbosity=0)
    return {region.code: region for region in Region.objects.all()}


@pytest.fixture
def make_user(transactional_db):
    """A user who can sign in at once: allauth's mandatory email verification is already done."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    def make(email: str, *, password: str = PASSWORD):
        user = get_user_model().objects.create_user(username=email.split("@")[0], email=email, password=password)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    return make


@pytest.fixture
def make_organiser(make_user):
    """A user who organises an organisation created for them. Returns (user, organisation)."""
    from contests import services
    from contests.models import Organisation

    def make(email: str, *, organisation_name: str, slug: str):
        organisation = Organisation.objects.create(name=organisation_name, slug=slug)
        user = make_user(email)
        services.membership_add(user=user, organisation=organisation)
        return user, organisation

    return make


@pytest.fixture
def make_open_event(transactional_db):
    """A public event with one round, opened through the lifecycle as an organiser would open it."""
    from django.utils import timezone

    from contests import services
    from contests.models import Event

    def make(*, organisation, by, title: str, round_title: str = "Vòng 1", **fields):
        now = timezone.now().replace(second=0, microsecond=0)
        values = {
            "title": title,
            "kind": Event.Kind.CONTEST,
            "opens_at": now - dt.timedelta(hours=1),
            "closes_at": now + dt.timedelta(days=7),
            **fields,
        }
        event = services.event_create(organisation=organisation, by=by, fields=values)
        window = {"opens_at": values["opens_at"], "closes_at": values["closes_at"]}
        services.round_create(event=event, fields={"title": round_title, "kind": "quiz", **window})
        services.event_transition(event=event, to_state=Event.State.OPEN, by=by)
        event.refresh_from_db()
        return event

    return make


# --- Page helpers ----------------------------------------------------------------------------------


def path_of(page) -> str:
    """The path of the page's current URL ("/profile/"), without host or query."""
    return urlsplit(page.url).path


def submit_form(page, form_selector: str):
    """Click the submit button of the form and wait for the page it leads to; return its response."""
    with page.expect_navigation() as navigation:
        page.locator(form_selector).locator("button[type=submit]").first.click()
    return navigation.value


@pytest.fixture
def submit():
    return submit_form


@pytest.fixture
def login():
    """Sign in through allauth's form (email + password) and check that it worked."""

    def sign_in(page, email: str, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", password)
        submit_form(page, "form[action='/accounts/login/']")
        assert path_of(page) != "/accounts/login/", f"sign-in of {email} failed"
        assert page.locator("form[action='/accounts/logout/']").count() == 1, "no sign-out form after sign-in"

    return sign_in
