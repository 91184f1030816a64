from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD = 5 * 1024 * 1024


class ClassListUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Class list (.xlsx)"),
        help_text=_("One pupil per row: full name, date of birth, class. Download the template below."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The class list is too large (at most 5 MB)."))
        return upload


class GuardianConsentForm(forms.Form):
    guardian_name = forms.CharField(label=_("Guardian's full name"), max_length=120)
    reference = forms.CharField(
        label=_("Consent form reference"), max_length=80, help_text=_("The number or code written on the signed form.")
    )
    form_date = forms.DateField(label=_("Date on the form"), widget=forms.DateInput(attrs={"type": "date"}))


class ClassSignInForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False))


class FirstPasswordForm(SetPasswordForm):
    """Django's own form with its password validators: the pupil's new password must pass them."""
