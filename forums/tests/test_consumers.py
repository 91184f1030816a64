"""Live thread updates through the real consumer (WebsocketCommunicator): readers hear small pings after
commit, only for topics they may read; the consumer accepts nothing but pings, and not too many."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from contests.invites import SESSION_KEY as INVITE_SESSION_KEY
from contests.models import Event
from forums import services
from forums.consumers import CLOSE_NOT_FOUND, CLOSE_RATE_LIMITED
from forums.routing import websocket_urlpatterns

app = URLRouter(websocket_urlpatterns)


async def connect(topic_id, user=None, invite_codes=()):
    communicator = WebsocketCommunicator(app, f"/ws/forum/topics/{topic_id}/")
    communicator.scope["user"] = user or AnonymousUser()
    communicator.scope["session"] = {INVITE_SESSION_KEY: list(invite_codes)}
    connected, code = await communicator.connect()
    return communicator, connected, code


async def assert_refused(topic_id, user=None, invite_codes=()):
    """The socket is accepted then closed with 4404 (a close before the handshake would be an HTTP 403 with
    no code for a browser: tests/test_forum_socket.py checks that through daphne)."""
    communicator, connected, _code = await connect(topic_id, user, invite_codes)
    assert connected, "accepted first, so that the close code reaches the client"
    assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}
    await communicator.wait()


async def receive(communicator, timeout=3):
    return json.loads(await communicator.receive_from(timeout=timeout))


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_reader_hears_a_new_reply_after_it_is_committed(topic, member2):
    reader, connected, _code = await connect(topic.pk)
    assert connected
    post = await database_sync_to_async(services.post_create)(topic=topic, author=member2, body="Trả lời trực tiếp")
    assert await receive(reader) == {"type": "post.created", "post": post.pk}, "ids only: the page re-fetches"
    await reader.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_nothing_is_sent_for_a_reply_that_is_rolled_back(topic, member2):
    reader, connected, _code = await connect(topic.pk)
    assert connected

    def reply_then_fail():
        with transaction.atomic():
            services.post_create(topic=topic, author=member2, body="Sẽ bị hủy")
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(reply_then_fail)()
    assert await reader.receive_nothing(timeout=0.3)
    await reader.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_edits_reactions_and_hiding_ping_post_changed(reply, member, member2, organiser):
    reader, connected, _code = await connect(reply.topic_id, member)
    assert connected
    await database_sync_to_async(services.post_edit)(post=reply, by=member2, body="Đã sửa")
    assert await receive(reader) == {"type": "post.changed", "post": reply.pk}
    await database_sync_to_async(services.reaction_set)(post=reply, user=member, kind="helpful")
    assert await receive(reader) == {"type": "post.changed", "post": reply.pk}
    await database_sync_to_async(services.post_hide)(post=reply, by=organiser, hidden=True)
    assert await receive(reader) == {"type": "post.changed", "post": reply.pk}
    await reader.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_readers_of_another_topic_hear_nothing(forum, topic, member, member2):
    other = await database_sync_to_async(services.topic_create)(event=forum, author=member, title="Khác", body="…")
    elsewhere, connected, _code = await connect(other.pk)
    assert connected
    await database_sync_to_async(services.post_create)(topic=topic, author=member2, body="Ở chủ đề kia")
    assert await elsewhere.receive_nothing(timeout=0.3)
    await elsewhere.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_only_readers_of_the_topic_may_listen(make_forum, organiser, member, now):
    draft = await database_sync_to_async(make_forum)(state=Event.State.DRAFT)
    draft_topic = await database_sync_to_async(services.topic_create)(
        event=draft, author=organiser, title="Chuẩn bị", body="…", now=now
    )
    for outsider in (None, member):
        await assert_refused(draft_topic.pk, outsider)
    communicator, connected, _code = await connect(draft_topic.pk, organiser)
    assert connected
    await communicator.disconnect()
    await assert_refused(999_999)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_hidden_topics_and_invite_only_forums_are_checked_on_connect(make_forum, organiser, member, now):
    private = await database_sync_to_async(make_forum)(visibility=Event.Visibility.INVITE)
    topic = await database_sync_to_async(services.topic_create)(
        event=private, author=organiser, title="Nội bộ", body="…", now=now
    )
    await assert_refused(topic.pk, member)
    communicator, connected, _code = await connect(topic.pk, member, invite_codes=[private.invite_code])
    assert connected
    await communicator.disconnect()
    await database_sync_to_async(services.topic_hide)(topic=topic, by=organiser, hidden=True)
    await assert_refused(topic.pk, member, invite_codes=[private.invite_code])


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_consumer_only_answers_pings(topic):
    reader, connected, _code = await connect(topic.pk)
    assert connected
    await reader.send_to(text_data=json.dumps({"type": "ping"}))
    assert await receive(reader) == {"type": "pong"}
    await reader.send_to(text_data=json.dumps({"type": "post.created", "post": 1}))
    assert await receive(reader) == {"type": "error", "code": "unknown_type"}, "clients cannot forge pings"
    await reader.send_to(text_data="not json")
    assert await receive(reader) == {"type": "error", "code": "unknown_type"}
    await reader.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_flooding_client_is_disconnected(topic):
    reader, connected, _code = await connect(topic.pk)
    assert connected
    for _ in range(10):
        await reader.send_to(text_data=json.dumps({"type": "ping"}))
    closed = None
    for _ in range(10):
        output = await reader.receive_output(timeout=1)
        if output["type"] == "websocket.close":
            closed = output["code"]
            break
    assert closed == CLOSE_RATE_LIMITED
    await reader.disconnect()
