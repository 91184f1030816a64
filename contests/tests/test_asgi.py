"""The ASGI entry point that live apps plug into: WebSockets from foreign origins never reach a consumer."""

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from contest_site.asgi import application


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_websocket_from_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/anything/", headers=[(b"origin", b"https://evil.example")])
    connected, _subprotocol = await communicator.connect()
    assert connected is False
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_channel_layer_carries_group_messages():
    """Runs on the in-memory layer by default and on Redis when REDIS_URL is set (CI runs both)."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("test-group", channel)
    await layer.group_send("test-group", {"type": "board.changed", "round": 12})
    assert await layer.receive(channel) == {"type": "board.changed", "round": 12}
    await layer.group_discard("test-group", channel)
