"""WebSocket routes of every app, collected in one list (each app has ``routing.websocket_urlpatterns``)."""

from quizzes.routing import websocket_urlpatterns as quiz_routes

websocket_urlpatterns: list = [*quiz_routes]
