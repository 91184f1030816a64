from django.urls import path

from . import views

urlpatterns = [
    path("rounds/<int:round_id>/board/", views.round_board, name="round_board"),
    path("events/<slug:slug>/board/", views.event_board, name="event_board"),
    path("events/<slug:slug>/units/", views.unit_board, name="unit_board"),
    path("organiser/rounds/<int:round_id>/board/freeze/", views.board_freeze, name="board_freeze"),
]
