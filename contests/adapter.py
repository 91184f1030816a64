"""allauth's hooks into our domain: a new account gets its profile (name and phone from the sign-up form)
through ``services.profile_create``, not through a form writing rows (``ACCOUNT_ADAPTER``)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.utils.translation import gettext as _

from . import services


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:  # a social sign-up saves its user later: its form's ``signup`` asks for the profile then
            self.signup_profile(request, user, form.cleaned_data)
        return user

    def signup_profile(self, request, user, data: dict) -> None:
        """Record the sign-up form's name and phone on the new account's profile (once per request)."""
        if "phone" not in data or getattr(user, "_signup_profile_done", False):
            return
        user._signup_profile_done = True
        _profile, phone_kept = services.profile_create(user=user, full_name=data["full_name"], phone=data["phone"])
        if not phone_kept:
            messages.warning(
                request,
                _("This phone number was just registered by another account: enter yours again in your profile."),
            )
