from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views import defaults

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
    path("", include("privacy.urls")),
    path("", include("insights.urls")),
    path("", include("notifications.urls")),
    path("", include("appeals.urls")),
]


def page_not_found(request, exception):
    """The site's 404 page, except under the JSON API (leaderboard/api.py), where a URL no route matches
    (a slug with a space, a negative id) answers in JSON as the API's own 404s do and its document says."""
    if request.path.startswith("/api/v1/"):
        return JsonResponse({"detail": "Not Found"}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = page_not_found
