"""Live boards: a page listens on ``/ws/boards/<round_id>/`` and re-fetches its fragment when pinged.

Push-only and public: the ping carries nothing private (just "this board changed"); what the page shows
is fetched again through the permission-checked board view.
"""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .services import board_group


class BoardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = board_group(self.scope["url_route"]["kwargs"]["round_id"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Boards are push-only: anything a client sends is ignored."""

    async def board_changed(self, event):
        await self.send_json({"type": "board.changed", "round": event["round"]})
