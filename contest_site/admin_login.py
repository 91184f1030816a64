"""The admin's sign-in door, rate-limited like allauth's (``ACCOUNT_RATE_LIMITS``): Django's admin login has
no limit of its own, so without this a script could try passwords of staff accounts there as fast as it likes
while the participants' sign-in page refuses the same script after five failures."""

from __future__ import annotations

from allauth.core import ratelimit as allauth_ratelimit
from django.contrib import admin
from django.contrib.sites.shortcuts import get_current_site
from django.utils.translation import gettext as _

from . import ratelimit


def _failure_key(request) -> str:
    """The per-account key as allauth builds it (site domain and the lowercased login), so that failures on
    either door count for the same account when it signs in with its e-mail address."""
    login = request.POST.get("username", "").strip().lower()
    return f"{get_current_site(request).domain}:{login}"


def admin_login(request, extra_context=None):
    """``/admin/login/``: allauth's "login" limit on every attempt and its "login_failed" limit on failures,
    per address and per account, looked at before the password is checked so that a locked-out guesser
    learns nothing; a success counts no failure."""
    if request.method == "POST":
        refused = allauth_ratelimit.consume_or_429(request, action="login")
        if refused is not None:
            return ratelimit.too_many(request, back_url=request.path)
        key = _failure_key(request)
        if not allauth_ratelimit.consume(request, action="login_failed", key=key, dry_run=True):
            message = _("Too many failed sign-in attempts. Wait a few minutes, then try again.")
            return ratelimit.too_many(request, message, back_url=request.path)
        response = admin.site.login(request, extra_context=extra_context)
        if not request.user.is_authenticated:
            allauth_ratelimit.consume(request, action="login_failed", key=key)
        return response
    return admin.site.login(request, extra_context=extra_context)
