"""Group commit of autosaves (quizzes/autosave.py): the answers of one tick are written in one transaction
on the writer thread, each acknowledged after it; an answer refused for its own reason costs the others
nothing, and a tick the database refuses as a whole is saved again one answer at a time."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from django.db import DatabaseError

from quizzes import autosave, services
from quizzes.models import AttemptItem
from tests.sessions import signed_in_session

from .conftest import token_of
from .test_autosave import post

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class CountedTicks:
    """The ticks written (a spy around the real ``answers_save_tick``): how many answers each held."""

    def __init__(self, monkeypatch):
        self.sizes: list[int] = []
        real = autosave.answers_save_tick

        def counted(context, posts):
            self.sizes.append(len(posts))
            return real(context, posts)

        monkeypatch.setattr(autosave, "answers_save_tick", counted)
        # A tick long enough for every request of the test to join it on a slow machine; a fresh
        # group commit, so that it calls the spy.
        monkeypatch.setattr(
            autosave,
            "_ticks",
            autosave.PerLoop(lambda: autosave.GroupCommit(counted, tick_s=0.3, max_batch=autosave.MAX_TICK)),
        )


def _body(item, choice_id=None, **extra):
    choice = item.choice_order[0] if choice_id is None else choice_id
    return json.dumps({"position": item.position, "response": token_of(item, choice), **extra}).encode()


@pytest.fixture
def three_attempts(quiz_round, player, player2, make_user, complete_profile, now):
    """Three participants with a started attempt each; the third's is already submitted."""
    player3 = make_user("player3@example.vn", profile=complete_profile("+84912000333"))
    users = (player, player2, player3)
    attempts = [services.attempt_start(quiz_round=quiz_round, user=user, now=now) for user in users]
    services.attempt_submit(attempt_id=attempts[2].pk)
    items = [attempt.items.get(question__type="single") for attempt in attempts]
    sessions = [signed_in_session(user) for user in users]
    return attempts, items, sessions


async def test_a_tick_of_answers_is_one_transaction_and_each_gets_its_own_reply(three_attempts, monkeypatch):
    """Five phones save within one tick: two good answers, one that is not a choice of the question, one to a
    submitted attempt and one from a signed-out session. One transaction; the good ones are stored and
    acknowledged, each other one gets the error it would have had alone, in its own language."""
    ticks = CountedTicks(monkeypatch)
    (first, second, closed), (item1, item2, item3), (session1, session2, session3) = three_attempts
    replies = await asyncio.gather(
        post(first.pk, _body(item1), session=session1),
        post(second.pk, _body(item2, item2.choice_order[1]), session=session2),
        post(second.pk, json.dumps({"position": item2.position, "response": 99999}).encode(), session=session2),
        post(closed.pk, _body(item3), session=session3, language="en"),
        post(first.pk, _body(item1), session="not-a-session", language="en"),
    )
    assert ticks.sizes == [5], "every answer in one tick"
    (status1, reply1), (status2, reply2), (status_bad, reply_bad), (status_closed, reply_closed), signed_out = replies
    assert status1 == 200 and reply1["saved"] is True and reply1["position"] == item1.position
    assert status2 == 200 and reply2["saved"] is True
    assert status_bad == 400 and reply_bad["saved"] is False
    assert status_closed == 409 and reply_closed["closed"] is True and "closed" in reply_closed["error"]
    assert signed_out == (403, {"saved": False, "error": "Sign in again to keep answering."})
    stored = await database_sync_to_async(
        lambda: dict(AttemptItem.objects.filter(pk__in=[item1.pk, item2.pk, item3.pk]).values_list("pk", "response"))
    )()
    assert stored == {item1.pk: item1.choice_order[0], item2.pk: item2.choice_order[1], item3.pk: None}


async def test_two_answers_to_one_question_in_a_tick_keep_their_order(three_attempts, monkeypatch):
    """A participant changes their mind quickly: both saves land in one tick, and the later one stands."""
    ticks = CountedTicks(monkeypatch)
    (first, _second, _closed), (item1, _item2, _item3), (session1, _s2, _s3) = three_attempts
    first_pick, second_pick = item1.choice_order[0], item1.choice_order[1]
    replies = await asyncio.gather(
        post(first.pk, _body(item1, first_pick), session=session1),
        post(first.pk, _body(item1, second_pick), session=session1),
    )
    assert ticks.sizes == [2] and [status for status, _reply in replies] == [200, 200]
    assert (await AttemptItem.objects.aget(pk=item1.pk)).response == second_pick


async def test_a_tick_the_database_refuses_is_saved_again_one_answer_at_a_time(three_attempts, monkeypatch):
    """The database refuses one answer's write (a fault injected into the real write for one attempt): the
    tick's transaction rolls back, then each answer is saved in its own; the refused one is answered 500
    (the page sends it again), the other is stored and acknowledged."""
    CountedTicks(monkeypatch)
    (first, second, _closed), (item1, item2, _item3), (session1, session2, _s3) = three_attempts
    real_write = services.answer_write

    def refusing(**answer):
        if answer["attempt_id"] == second.pk:
            raise DatabaseError("refused by the test")
        return real_write(**answer)

    monkeypatch.setattr(services, "answer_write", refusing)
    monkeypatch.setattr(services, "attempt_answer", lambda **answer: refusing(**answer))
    good, refused = await asyncio.gather(
        post(first.pk, _body(item1), session=session1),
        post(second.pk, _body(item2), session=session2, language="en"),
    )
    assert good[0] == 200 and good[1]["saved"] is True
    assert refused == (500, {"saved": False, "error": "The answer could not be saved yet."})
    assert (await AttemptItem.objects.aget(pk=item1.pk)).response == item1.choice_order[0]
    assert (await AttemptItem.objects.aget(pk=item2.pk)).response is None


async def test_an_answer_failing_for_a_reason_of_its_own_costs_the_others_nothing(three_attempts, monkeypatch):
    """One phone's session cannot be read (a cache fault, a bug): that phone is answered 500 and its page
    sends the answer again; the other answer of the same tick is stored and acknowledged."""
    CountedTicks(monkeypatch)
    (first, second, _closed), (item1, item2, _item3), (session1, session2, _s3) = three_attempts
    real = autosave.session_from_cookies

    def faulty(cookies):
        if cookies.get("sessionid") == session2:
            raise RuntimeError("the cache failed for this one")
        return real(cookies)

    monkeypatch.setattr(autosave, "session_from_cookies", faulty)
    good, failed = await asyncio.gather(
        post(first.pk, _body(item1), session=session1),
        post(second.pk, _body(item2), session=session2, language="en"),
    )
    assert good[0] == 200 and failed == (500, {"saved": False, "error": "The answer could not be saved yet."})
    assert (await AttemptItem.objects.aget(pk=item1.pk)).response == item1.choice_order[0]
