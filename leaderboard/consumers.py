"""Live boards: a page listens on ``/ws/boards/<round_id>/`` and re-fetches its fragment when pinged.

Push-only and public: the ping carries nothing private (just "this board changed"); what the page shows
is fetched again through the permission-checked board view.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from contests.invites import scope_may_enter_round

from .services import board_group


class BoardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        round_id = self.scope["url_route"]["kwargs"]["round_id"]
        if not await database_sync_to_async(scope_may_enter_round)(self.scope, round_id):
            await self.close()  # an invite-only event's board: not even its pings without the code
            return
        self.group = board_group(round_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Boards are push-only: anything a client sends is ignored."""

    async def board_changed(self, event):
        await self.send_json({"type": "board.changed", "round": event["round"]})
