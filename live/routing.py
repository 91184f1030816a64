from django.urls import path

from .consumers import HostConsumer, PlayerConsumer

websocket_urlpatterns = [
    path("ws/live/host/<int:session_id>/", HostConsumer.as_asgi()),
    path("ws/live/<str:pin>/", PlayerConsumer.as_asgi()),
]
