from django import forms
from django.utils.translation import gettext_lazy as _


class AccountDeleteForm(forms.Form):
    """Deleting an account asks for the password again (a stolen open session must not erase someone)."""

    password = forms.CharField(
        label=_("Your password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    confirm = forms.BooleanField(
        label=_("I understand that my personal data will be erased and that this cannot be undone."),
        required=True,
    )
