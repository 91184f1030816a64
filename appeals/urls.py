from django.urls import path

from . import views

urlpatterns = [
    path("rounds/<int:round_id>/appeals/", views.round_appeals, name="round_appeals"),
    path("appeals/<int:appeal_id>/", views.appeal_detail, name="appeal_detail"),
    path("organiser/events/<int:event_id>/appeals/", views.organiser_inbox, name="organiser_appeals"),
    path("organiser/events/<int:event_id>/appeals.xlsx", views.organiser_export, name="organiser_appeals_xlsx"),
    path("organiser/rounds/<int:round_id>/appeals/policy/", views.organiser_policy, name="organiser_appeal_policy"),
    path("organiser/appeals/<int:appeal_id>/", views.organiser_appeal, name="organiser_appeal"),
]
