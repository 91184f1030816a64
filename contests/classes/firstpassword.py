"""Holds a pupil signed in with a temporary password at the password page until they choose their own.

The flag lives in the session (set by the class sign-in view), so that this middleware costs no query on
the requests of everyone else. Sync-only like ``ChosenLanguageMiddleware``, and placed beside it, so the
handler switches from async to sync once.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

SESSION_FLAG = "class_account_must_change_password"


class FirstPasswordMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_FLAG) and not self._allowed(request.path):
            return redirect("class_password")
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        allowed = (reverse("class_password"), reverse("account_logout"), reverse("set_language"), settings.STATIC_URL)
        return path.startswith(allowed)
