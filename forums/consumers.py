"""Live thread updates: a reader's page listens on ``/ws/forum/topics/<topic_id>/``.

Push-only and thin: on connect, check (once, in one sync call) that the reader may read the topic and
join its group (a refused reader's socket is accepted, then closed with 4404, so that the browser sees the
code); then forward the two typed pings services send after commit. The page fetches what
changed through the permission-checked fragment views, so a ping carries no content. A client may only
say ``{"type": "ping"}``; anything else, or more than a few messages a second, is refused.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from contest_site.ratelimit import RateLimit
from contests.invites import SESSION_KEY as INVITE_SESSION_KEY

from . import selectors
from .broadcast import topic_group

CLOSE_NOT_FOUND = 4404
CLOSE_RATE_LIMITED = 4429


def _may_read(scope, topic_id: int) -> bool:
    session = scope.get("session")
    codes = set(session.get(INVITE_SESSION_KEY, [])) if session is not None else set()
    try:
        selectors.access_topic_for_reader(user=scope["user"], topic_id=topic_id, invite_codes=codes)
    except Http404:
        return False
    return True


class TopicConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = None
        self.limiter = RateLimit(rate=1, burst=5)
        topic_id = self.scope["url_route"]["kwargs"]["topic_id"]
        if not await database_sync_to_async(_may_read)(self.scope, topic_id):
            # Accept first: a close before the handshake reaches the browser as an HTTP 403 with no code,
            # and forum-thread.js (which stops only on 4404) would reconnect forever.
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = topic_group(topic_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not self.limiter.allow():
            await self.close(code=CLOSE_RATE_LIMITED)
        elif isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "code": "unknown_type"})

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def post_created(self, event):
        await self.send_json({"type": "post.created", "post": event["post"]})

    async def post_changed(self, event):
        await self.send_json({"type": "post.changed", "post": event["post"]})
