from django.contrib import admin
from django.urls import include, path

from .admin_login import admin_login

urlpatterns = [
    path("admin/login/", admin_login, name="admin_login_limited"),  # before the admin's own, which has no limit
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("contests.urls")),
    path("", include("quizzes.urls")),
    path("", include("live.urls")),
    path("", include("leaderboard.urls")),
    path("", include("submissions.urls")),
    path("", include("judging.urls")),
    path("", include("forums.urls")),
]
