from django.urls import path

from .consumers import BoardConsumer

websocket_urlpatterns = [path("ws/boards/<int:round_id>/", BoardConsumer.as_asgi())]
