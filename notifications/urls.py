from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
    path("rounds/<int:round_id>/remind/", views.round_remind, name="round_remind"),
]
