"""What the project's hot consumers share."""

from channels.consumer import get_handler_name


class LeanConsumer:
    """A consumer without two things channels gives every consumer, for the two hottest paths (the
    autosave door, one request per answer; live sockets, thousands per process):

    - its own channel-layer channel and a task receiving on it: these consumers get nothing through the
      channel layer (live broadcasts come through the process's hub, live/hub.py), and the
      in-memory layer sweeps every channel on each send;
    - ``dispatch``'s hop to the database thread before every message (Channels ≥ 4.2 runs
      ``close_old_connections`` there): their database work runs on the autosave writer thread, which
      keeps its connection, or through ``database_sync_to_async``, which cleans up around each call itself.
    """

    channel_layer_alias = "none: a lean consumer has no channel-layer channel"

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
