"""Pings to readers of a thread, sent by services after commit: small typed events, never content.

A page that hears ``post.created`` or ``post.changed`` fetches the post again through a permission-checked
view, so a ping never reveals anything (a hidden post, an invite-only forum) to whoever listens.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def topic_group(topic_id: int) -> str:
    """The channel-layer group of a thread's open pages (the one place that names it)."""
    return f"forum-topic-{topic_id}"


def post_created(*, topic_id: int, post_id: int) -> None:
    _send(topic_id, {"type": "post.created", "topic": topic_id, "post": post_id})


def post_changed(*, topic_id: int, post_id: int) -> None:
    _send(topic_id, {"type": "post.changed", "topic": topic_id, "post": post_id})


def _send(topic_id: int, message: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(topic_group(topic_id), message)
