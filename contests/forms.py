"""Forms validate input and say what is wrong in the user's language; services do the writing."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .images import normalise_image
from .models import ADULT_AGE, Category, Event, Organisation, Profile, Region, Round
from .phones import format_phone, normalise_phone
from .selectors import region_choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class GroupedRegionField(forms.ModelChoiceField):
    """A region picked from the tree, grouped by district (province → district → commune)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Region.objects.all(), **kwargs)

    def load_choices(self):
        self.choices = [("", "---------"), *region_choices()]


def _unique_phone(raw: str, *, exclude_user=None) -> str:
    phone = normalise_phone(raw)
    taken = Profile.objects.filter(phone=phone)
    if exclude_user is not None:
        taken = taken.exclude(user=exclude_user)
    if taken.exists():
        raise forms.ValidationError(
            _("This phone number is already used by another account: one account per phone number."),
            code="phone_taken",
        )
    return phone


class SignupExtraForm(forms.Form):
    """Fields allauth adds to its signup form: the name and the phone number that identifies the account."""

    full_name = forms.CharField(
        label=_("Full name"), max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=20,
        help_text=_("One account per phone number."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_phone(self):
        return _unique_phone(self.cleaned_data["phone"])

    def signup(self, request, user):
        """Called by allauth once the user row exists (allauth requires it of a sign-up form class). The
        profile is written by our ``AccountAdapter`` (``contests.adapter``) through ``profile_create``; this
        only covers a sign-up whose user was saved after the adapter ran (a social sign-up's form)."""
        from allauth.account.adapter import get_adapter

        get_adapter(request).signup_profile(request, user, self.cleaned_data)


class ProfileForm(forms.ModelForm):
    region = GroupedRegionField(label=_("Region (commune, district)"))
    data_consent = forms.BooleanField(
        label=_(
            "I agree that the organisers process my personal data (name, date of birth, phone, region, "
            "organisation) to run the contests, rank results and issue certificates, under Decree 13/2023/NĐ-CP."
        ),
        required=False,
    )
    guardian_consent = forms.BooleanField(
        label=_("As parent or guardian, I agree to the processing of this minor's personal data."),
        required=False,
    )

    class Meta:
        model = Profile
        fields = [
            "full_name",
            "date_of_birth",
            "phone",
            "region",
            "organisation",
            "organisation_name",
            "category",
            "public_name",
            "guardian_name",
        ]
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].load_choices()
        for name in ("full_name", "date_of_birth", "phone", "category"):
            self.fields[name].required = True
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        self.fields["organisation"].required = False
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["date_of_birth"].widget.attrs["max"] = timezone.localdate().isoformat()
        if self.instance.phone and not self.is_bound:
            self.initial["phone"] = format_phone(self.instance.phone)
        self.initial.setdefault("data_consent", self.instance.data_consent_at is not None)
        self.initial.setdefault("guardian_consent", self.instance.guardian_consent_at is not None)

    def clean_phone(self):
        return _unique_phone(self.cleaned_data["phone"], exclude_user=self.instance.user)

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today or born.year < today.year - 120:
            raise forms.ValidationError(_("Enter your real date of birth."))
        return born

    def clean(self):
        cleaned = super().clean()
        # A consent never given is required to keep a profile; unticking one given earlier withdraws it.
        if not cleaned.get("data_consent") and self.instance.data_consent_at is None:
            self.add_error("data_consent", _("Without this consent we cannot keep your profile."))
        born = cleaned.get("date_of_birth")
        if born and Profile(date_of_birth=born).age_on(timezone.localdate()) < ADULT_AGE:
            if not cleaned.get("guardian_consent") and self.instance.guardian_consent_at is None:
                self.add_error(
                    "guardian_consent",
                    _("A parent or guardian must consent for a person under %(age)d.") % {"age": ADULT_AGE},
                )
            if not cleaned.get("guardian_name", "").strip():
                self.add_error("guardian_name", _("Enter the name of the parent or guardian."))
        return cleaned

    def save(self, commit=True):
        """Save through ``profile_update``; ``self.withdrawn`` tells afterwards whether this save withdrew a
        consent that the profile needs (the page then says what that means)."""
        given_before = [self.instance.data_consent_at, self.instance.guardian_consent_at]
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        profile = services.profile_update(
            profile=self.instance,
            data=data,
            data_consent=self.cleaned_data["data_consent"],
            guardian_consent=self.cleaned_data["guardian_consent"],
        )
        given_after = [profile.data_consent_at, profile.guardian_consent_at]
        ended = any(b is not None and a is None for b, a in zip(given_before, given_after, strict=True))
        self.withdrawn = ended and not profile.is_complete  # an adult's guardian consent just ends
        return profile


class EventForm(forms.ModelForm):
    eligible_categories = forms.MultipleChoiceField(
        label=_("Eligible categories"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty to open the event to everyone."),
    )
    banner = forms.ImageField(
        label=_("Banner"), required=False, help_text=_("JPEG, PNG or WebP; resized to 1600×600 at most.")
    )

    class Meta:
        model = Event
        fields = [
            "title",
            "kind",
            "summary",
            "description",
            "rules",
            "opens_at",
            "closes_at",
            "eligible_categories",
            "eligible_regions",
            "min_age",
            "max_age",
            "visibility",
            "invite_code",
        ]
        widgets = {
            "opens_at": DateTimeInput(),
            "closes_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 6}),
            "rules": forms.Textarea(attrs={"rows": 6}),
            "eligible_regions": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["eligible_regions"].required = False
        self.fields["eligible_regions"].help_text = _("Leave empty for every region; a district includes its communes.")
        if organisations is not None:
            self.fields["organisation"] = forms.ModelChoiceField(
                label=_("Organiser"), queryset=organisations, initial=organisations.first()
            )
            self.order_fields(["organisation", *self.Meta.fields])

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("An event must close after it opens."))
        return cleaned

    def clean_banner(self):
        """Refuse a file that Pillow cannot decode now, with the error next to the field."""
        banner = self.cleaned_data.get("banner")
        if banner:
            normalise_image(banner, max_size=(16, 16), name_stem="probe")
        return banner

    def field_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name != "eligible_regions"}


class RoundForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = ["title", "kind", "description", "opens_at", "closes_at", "weight"]
        widgets = {
            "opens_at": DateTimeInput(),
            "closes_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.event = event
        if not self.instance.pk:
            self.initial.setdefault("opens_at", event.opens_at)
            self.initial.setdefault("closes_at", event.closes_at)
        elif event.state != Event.State.DRAFT:
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = _("The kind can only change while the event is a draft.")

    def field_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class OrganisationForm(forms.ModelForm):
    region = GroupedRegionField(label=_("Region"), required=False)

    class Meta:
        model = Organisation
        fields = ["name", "group", "headcount", "region"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].load_choices()


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=_("Roster (.xlsx)"), help_text=_("One unit per row; download the template below."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The roster file is too large (at most 5 MB)."))
        return upload
