"""WebSocket routes of every app, collected in one list (each app has ``routing.websocket_urlpatterns``)."""

from forums.routing import websocket_urlpatterns as forum_routes
from leaderboard.routing import websocket_urlpatterns as board_routes
from quizzes.routing import websocket_urlpatterns as quiz_routes

websocket_urlpatterns: list = [*quiz_routes, *board_routes, *forum_routes]
