"""The autosave door that daphne serves before Django (quizzes/autosave.py): same replies, same checks."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator

from contest_site.asgi import application
from quizzes import services
from quizzes.models import AttemptItem
from tests.sessions import signed_in_session

from .conftest import token_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
TOKEN = "a" * 32


async def post(
    attempt_id, body, *, session=None, token=TOKEN, cookie_token=TOKEN, origin=b"http://testserver", language=None
):
    cookies = [f"csrftoken={cookie_token}"]
    if session:
        cookies.append(f"sessionid={session}")
    if language:
        cookies.append(f"django_language={language}")
    headers = [
        (b"host", b"testserver"),
        (b"cookie", "; ".join(cookies).encode()),
        (b"x-csrftoken", token.encode()),
        (b"content-type", b"application/json"),
    ]
    if origin:
        headers.append((b"origin", origin))
    communicator = HttpCommunicator(application, "POST", f"/attempts/{attempt_id}/answer/", body=body, headers=headers)
    response = await communicator.get_response()
    return response["status"], json.loads(response["body"])


@pytest.fixture
def started(quiz_round, player, now):
    attempt = services.attempt_start(quiz_round=quiz_round, user=player, now=now)
    item = attempt.items.get(question__type="single")
    return attempt, item, signed_in_session(player)


async def test_an_answer_is_saved_through_the_fast_door(started):
    attempt, item, session = started
    status, reply = await post(
        attempt.pk,
        json.dumps({"position": item.position, "response": token_of(item, item.choice_order[0])}).encode(),
        session=session,
    )
    assert status == 200 and reply["saved"] is True
    saved = await AttemptItem.objects.aget(pk=item.pk)
    assert saved.response == item.choice_order[0]


async def test_a_raw_choice_id_is_refused_and_changes_nothing(started):
    """The pre-token attack: answering by database ids (sorted ids = an ordering's answer) is an unknown answer."""
    attempt, item, session = started
    body = json.dumps({"position": item.position, "response": item.choice_order[0]}).encode()
    status, reply = await post(attempt.pk, body, session=session, language="en")
    assert status == 400 and reply == {"saved": False, "error": "That answer does not fit the question."}
    assert (await AttemptItem.objects.aget(pk=item.pk)).response is None


async def test_without_the_csrf_double_submit_nothing_is_saved(started):
    attempt, item, session = started
    body = json.dumps({"position": item.position, "response": token_of(item, item.choice_order[0])}).encode()
    assert (await post(attempt.pk, body, session=session, token="b" * 32))[0] == 403
    assert (await post(attempt.pk, body, session=session, origin=b"https://evil.example"))[0] == 403
    assert (await post(attempt.pk, body, session=session, token="é" * 32))[0] == 403  # non-ASCII: no 500
    assert (await AttemptItem.objects.aget(pk=item.pk)).response is None


async def test_strangers_and_anonymous_get_nothing(started, player2):
    attempt, item, _session = started
    body = json.dumps({"position": item.position, "response": token_of(item, item.choice_order[0])}).encode()
    assert (await post(attempt.pk, body))[0] == 403
    other = await database_sync_to_async(signed_in_session)(player2)
    assert (await post(attempt.pk, body, session=other))[0] == 404
    assert (await AttemptItem.objects.aget(pk=item.pk)).response is None


async def test_bad_answers_get_the_same_errors_in_the_chosen_language(started):
    attempt, item, session = started
    status, reply = await post(attempt.pk, b"{not json", session=session, language="en")
    assert status == 400 and reply["error"] == "The answer could not be read."
    status, reply = await post(
        attempt.pk, json.dumps({"position": item.position, "response": 99999}).encode(), session=session, language="en"
    )
    assert status == 400 and reply["error"] == "That answer does not fit the question."
    assert (await post(attempt.pk, b"x" * 9000, session=session))[0] == 413


async def test_a_closed_attempt_refuses_with_409(started):
    attempt, item, session = started
    await database_sync_to_async(services.attempt_submit)(attempt_id=attempt.pk)
    status, reply = await post(
        attempt.pk,
        json.dumps({"position": item.position, "response": token_of(item, item.choice_order[0])}).encode(),
        session=session,
    )
    assert status == 409 and reply["closed"] is True


async def test_a_signed_out_session_saves_nothing(quiz_round, player, now):
    """Sessions are read through the cache (cached_db): signing out must still end the door's access at once."""
    from django.test import AsyncClient

    client = AsyncClient()
    await client.aforce_login(player)
    session = client.cookies["sessionid"].value
    attempt = await database_sync_to_async(services.attempt_start)(quiz_round=quiz_round, user=player, now=now)
    item = await attempt.items.filter(question__type="single").afirst()
    body = json.dumps({"position": item.position, "response": token_of(item, item.choice_order[0])}).encode()
    assert (await post(attempt.pk, body, session=session))[0] == 200
    await client.alogout()
    assert (await post(attempt.pk, body, session=session))[0] == 403


async def test_a_changed_password_or_a_deactivated_account_ends_the_doors_access(started, player):
    """The door checks the session as Django does for a page (session_user_id): the auth hash of the current
    password, an active account."""
    attempt, item, session = started
    body = json.dumps({"position": item.position, "response": token_of(item, item.choice_order[0])}).encode()
    assert (await post(attempt.pk, body, session=session))[0] == 200
    player.set_password("a-new-password-2026")
    await player.asave(update_fields=["password"])
    status, reply = await post(attempt.pk, body, session=session, language="en")
    assert status == 403 and reply["error"] == "Sign in again to keep answering."
    fresh = await database_sync_to_async(signed_in_session)(player)
    assert (await post(attempt.pk, body, session=fresh))[0] == 200
    player.is_active = False
    await player.asave(update_fields=["is_active"])
    assert (await post(attempt.pk, body, session=fresh))[0] == 403


async def test_a_session_signed_with_a_rotated_secret_key_still_saves(started, settings):
    """SECRET_KEY rotation: sessions hashed with a key now in SECRET_KEY_FALLBACKS keep working, as for pages."""
    attempt, item, session = started
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "x" * 40, [old_key]
    # Tokens are keyed by SECRET_KEY too: name the choice as a page rendered after the rotation would.
    body = json.dumps({"position": item.position, "response": token_of(item, item.choice_order[0])}).encode()
    assert (await post(attempt.pk, body, session=session))[0] == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert (await post(attempt.pk, body, session=session))[0] == 403


async def test_a_position_or_attempt_beyond_the_columns_range_is_no_such_attempt(started):
    """Numbers no column can hold (2**63 would not even bind in SQLite) answer 404, like any missing row."""
    attempt, item, session = started
    for position in (0, 40_000, 2**63, 2**70):
        body = json.dumps({"position": position, "response": None}).encode()
        status, reply = await post(attempt.pk, body, session=session, language="en")
        assert status == 404 and reply["error"] == "No such attempt.", position
    body = json.dumps({"position": item.position, "response": None}).encode()
    assert (await post(2**64, body, session=session))[0] == 404


def _locked_by_the_autosave_read(attempt, player, item) -> bool:
    """Whether another connection finds the attempt row locked while the autosave's SELECT holds it."""
    import threading

    from django.db import DatabaseError, connection, connections, transaction

    from quizzes.models import Attempt
    from quizzes.services.answers import _autosave_statements

    found = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_autosave_statements(connection.vendor)[0], [attempt.pk, player.pk, item.position])
        assert cursor.fetchone() is not None

        def other():
            try:
                with transaction.atomic():
                    Attempt.objects.select_for_update(nowait=True).get(pk=attempt.pk)
                found["locked"] = False
            except DatabaseError:
                found["locked"] = True
            finally:
                connections.close_all()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    return found["locked"]


async def test_the_autosave_read_locks_the_attempt_row_on_postgresql(started, player):
    """A submit waits for an autosave in flight (an acknowledged answer is graded): on PostgreSQL the raw
    SELECT holds the attempt row (FOR UPDATE OF); SQLite's writers are serialised as a whole."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises every writer")
    attempt, item, _session = started
    assert await database_sync_to_async(_locked_by_the_autosave_read)(attempt, player, item) is True
