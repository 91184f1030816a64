"""WebSocket routes of every app, collected in one list (each app has ``routing.websocket_urlpatterns``)."""

from forums.routing import websocket_urlpatterns as forum_routes
from leaderboard.routing import websocket_urlpatterns as board_routes
from live.routing import websocket_urlpatterns as live_routes

websocket_urlpatterns: list = [*live_routes, *board_routes, *forum_routes]
