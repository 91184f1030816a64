"""Shared test fixtures for every app: factories that create data through the services, as the app does."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from contests import services
from contests.models import Category, Event, Membership, Organisation, Region

PASSWORD = "a-Strong-pass-123"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite the test database lives in memory with a shared cache, where a reader holds a lock on each
    table it reads and a writer meeting it fails at once ("database table is locked") instead of waiting.
    Served databases are files in WAL mode, where readers never block a writer. Read-uncommitted, which
    only shared-cache connections honour, gives the test database that property: the live tests' writer
    thread inserts a player while the host's view reads the lobby from another thread (CI saw this fail)."""
    from django.db import connections

    settings_dict = connections.settings["default"]
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        options = settings_dict.setdefault("OPTIONS", {})
        options["init_command"] = options.get("init_command", "") + " PRAGMA read_uncommitted = ON;"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(monkeypatch):
    """Each test counts uploads, votes, reactions and wrong PINs from zero, in a key space of its own: the
    cache outlives each test's database (and its ids), and a shared Redis must never be flushed."""
    import uuid

    from contest_site import ratelimit

    monkeypatch.setattr(ratelimit, "NAMESPACE", f"ratelimit-test-{uuid.uuid4().hex}")


@pytest.fixture(autouse=True)
def _fresh_board_cache(monkeypatch):
    """Cached boards (unit boards, points histograms) keyed by round and event ids: each test reads its own,
    as a test's ids are reused by the next test's database."""
    import uuid

    from leaderboard import boardcache

    monkeypatch.setattr(boardcache, "NAMESPACE", f"boards-test-{uuid.uuid4().hex}")


@pytest.fixture(autouse=True)
def _fresh_navigation_flags(monkeypatch):
    """The navigation's cached links (organiser area, judging) are keyed by user id, an event's regions by
    event id, the attempt page's question texts by question id: a namespace per test."""
    import uuid

    from contests import selectors

    monkeypatch.setattr(selectors, "NAVIGATION_NAMESPACE", f"nav-test-{uuid.uuid4().hex}")
    monkeypatch.setattr(selectors, "EVENT_REGIONS_NAMESPACE", f"event-regions-test-{uuid.uuid4().hex}")
    from quizzes import selectors as quiz_selectors

    monkeypatch.setattr(quiz_selectors, "QUESTION_TEXTS_NAMESPACE", f"question-texts-test-{uuid.uuid4().hex}")


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test gets channel layers of its own. pytest-asyncio gives every test a new event loop, but the
    layer is a process-wide object: channels_redis keeps an asyncio lock and a receive loop from the test
    that first used it, and a later test on another loop then fails ("bound to a different event loop") or
    hangs in teardown. Daphne runs one loop per process, so production never meets this."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session", autouse=True)
def _close_database_pools(django_db_setup):
    """On PostgreSQL, close the connection pools before pytest-django drops the test database: their idle
    connections (the writer thread's among them) would otherwise make DROP DATABASE fail and
    leave the test database behind on the server."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    from contest_site.writer import writer_thread

    # Async tests' ORM calls run on asgiref's shared sync thread and the writer thread (contest_site.writer), whose
    # checked-out connections a pool's close() would leave open: close them on their own threads first.
    for executor in (SyncToAsync.single_thread_executor, writer_thread):
        executor.submit(connections.close_all).result()
    for connection in connections.all():
        if connection.vendor == "postgresql" and connection.settings_dict.get("OPTIONS", {}).get("pool"):
            connection.close_pool()


@pytest.fixture
def regions(db):
    call_command("load_regions", verbosity=0)
    return {region.code: region for region in Region.objects.all()}


@pytest.fixture
def make_user(db):
    def make(email: str, *, superuser: bool = False, profile: dict | None = None):
        user = get_user_model().objects.create_user(
            username=email.split("@")[0], email=email, password=PASSWORD, is_superuser=superuser, is_staff=superuser
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        if profile is not None:
            services.profile_update(
                profile=services.profile_get_or_create(user=user),
                data=profile,
                data_consent=True,
                guardian_consent=True,
            )
        return user

    return make


@pytest.fixture
def complete_profile(regions):
    def build(phone: str, *, born=dt.date(1990, 1, 1), region="TN-DT-01", category=Category.CITIZEN):
        return {
            "full_name": "Nguyễn Văn Test",
            "date_of_birth": born,
            "phone": phone,
            "region": regions[region],
            "category": category,
            "guardian_name": "Nguyễn Văn Bố" if timezone.localdate().year - born.year < 18 else "",
        }

    return build


@pytest.fixture
def organisation(db):
    return Organisation.objects.create(name="Sở Giáo dục", slug="so-giao-duc")


@pytest.fixture
def other_organisation(db):
    return Organisation.objects.create(name="Thư viện tỉnh", slug="thu-vien")


@pytest.fixture
def organiser(make_user, organisation):
    user = make_user("organiser@example.vn")
    services.membership_add(user=user, organisation=organisation)
    return user


@pytest.fixture
def other_organiser(make_user, other_organisation):
    user = make_user("other@example.vn")
    services.membership_add(user=user, organisation=other_organisation)
    return user


@pytest.fixture
def judge(make_user, organisation):
    user = make_user("judge@example.vn")
    services.membership_add(user=user, organisation=organisation, role=Membership.Role.JUDGE)
    return user


@pytest.fixture
def participant(make_user):
    return make_user("citizen@example.vn")


@pytest.fixture
def admin_user(make_user):
    return make_user("admin@example.vn", superuser=True)


@pytest.fixture
def now():
    return timezone.now().replace(second=0, microsecond=0)


@pytest.fixture
def make_event(organisation, organiser, now):
    def make(*, org=None, state=Event.State.DRAFT, rounds=1, **fields):
        values = {
            "title": "Cuộc thi Công dân số",
            "kind": Event.Kind.CONTEST,
            "opens_at": now - dt.timedelta(days=1),
            "closes_at": now + dt.timedelta(days=7),
            **fields,
        }
        event = services.event_create(organisation=org or organisation, by=organiser, fields=values)
        for index in range(rounds):
            services.round_create(
                event=event,
                fields={
                    "title": f"Vòng {index + 1}",
                    "kind": "quiz",
                    "opens_at": values["opens_at"],
                    "closes_at": values["closes_at"],
                },
            )
        if state in (Event.State.OPEN, Event.State.CLOSED, Event.State.RESULTS_PUBLISHED):
            services.event_transition(event=event, to_state=Event.State.OPEN, by=organiser)
        if state in (Event.State.CLOSED, Event.State.RESULTS_PUBLISHED):
            services.event_transition(event=event, to_state=Event.State.CLOSED, by=organiser)
        if state == Event.State.RESULTS_PUBLISHED:
            services.event_transition(event=event, to_state=Event.State.RESULTS_PUBLISHED, by=organiser)
        event.refresh_from_db()
        return event

    return make


# --- Media on either storage (CI runs the media families a second time with MEDIA_STORAGE=s3) -----------


class FetchedMedia:
    """What a browser ends with after asking a media view: the app's own answer on disk storage, or the
    bucket's answer at the signed URL the app redirected to on object storage."""

    def __init__(self, status_code: int, headers: dict, body: bytes, redirected_to: str = ""):
        self.status_code, self.body, self.redirected_to = status_code, body, redirected_to
        self.headers = {name.lower(): value for name, value in headers.items()}

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]


def media_on_object_storage() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "MEDIA_S3_BUCKET", ""))


def served_status() -> int:
    """What a media view answers someone allowed to see the file: the bytes (200) on disk storage, a redirect
    to the bucket's signed URL (302) on object storage."""
    return 302 if media_on_object_storage() else 200


@pytest.fixture
def fetch_media(client):
    """GET a media URL as a browser does: follow the app's 302 to the bucket's signed URL, sending the same
    Range/If-* headers there (Django's test client cannot leave the app, so urllib does that leg)."""
    import urllib.error
    import urllib.request

    def fetch(url: str, headers: dict | None = None, *, through=None) -> FetchedMedia:
        headers = headers or {}
        response = (through or client).get(url, headers=headers)
        if response.status_code != 302 or not response["Location"].startswith("http"):
            body = b"".join(response.streaming_content) if response.streaming else response.content
            return FetchedMedia(response.status_code, dict(response.items()), body)
        assert response["Cache-Control"] == "private, no-store", "a signed URL's redirect is never cached"
        request = urllib.request.Request(response["Location"], headers=headers)  # noqa: S310 -- the test's own S3
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                return FetchedMedia(answer.status, dict(answer.headers.items()), answer.read(), response["Location"])
        except urllib.error.HTTPError as answer:
            return FetchedMedia(answer.code, dict(answer.headers.items()), answer.read(), response["Location"])

    return fetch
