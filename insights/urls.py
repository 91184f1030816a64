from django.urls import path

from . import views

urlpatterns = [
    path("organiser/events/<int:event_id>/insights/", views.event_dashboard, name="insights_event"),
    path("organiser/rounds/<int:round_id>/insights/", views.round_dashboard, name="insights_round"),
    path("organiser/rounds/<int:round_id>/insights/items/", views.item_analysis, name="insights_items"),
    path("organiser/rounds/<int:round_id>/insights/items.xlsx", views.item_analysis_export, name="insights_items_xlsx"),
    path("organiser/rounds/<int:round_id>/insights/attempts/", views.attempts, name="insights_attempts"),
    path("organiser/attempts/<int:attempt_id>/", views.attempt_detail, name="insights_attempt"),
    path("organiser/rounds/<int:round_id>/insights/suspicion/", views.suspicion, name="insights_suspicion"),
]
