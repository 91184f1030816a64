"""WebSocket routes of every app, collected in one list. Each live app appends its ``routing.websocket_urlpatterns``."""

websocket_urlpatterns: list = []
