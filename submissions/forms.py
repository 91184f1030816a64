"""Forms validate input and say what is wrong in the user's language; services do the writing.

A recording's *content* is judged by ``media_probe`` in the service, never here: the browser's name and
type for the file are not evidence of anything.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from contests.forms import DateTimeInput, GroupedRegionField
from contests.models import Organisation, Round

from .models import Entry, EntryVersion, ReadingRound
from .selectors import QueueFilters


class ReadingRoundForm(forms.ModelForm):
    book_url = forms.URLField(
        label=_("Link to the book or open educational resource"), required=False, assume_scheme="https"
    )

    class Meta:
        model = ReadingRound
        fields = [
            "passage",
            "book_title",
            "book_url",
            "media",
            "min_duration_s",
            "max_duration_s",
            "max_size_mb",
            "min_video_lines",
            "entries_per_participant",
            "entrants",
            "submission_deadline",
            "judging_opens_at",
            "judging_closes_at",
            "gallery_enabled",
            "voting_enabled",
            "voting_opens_at",
            "voting_closes_at",
            "vote_weight",
            "vote_totals",
        ]
        widgets = {
            "passage": forms.Textarea(attrs={"rows": 8}),
            "submission_deadline": DateTimeInput(),
            "judging_opens_at": DateTimeInput(),
            "judging_closes_at": DateTimeInput(),
            "voting_opens_at": DateTimeInput(),
            "voting_closes_at": DateTimeInput(),
        }

    def __init__(self, *args, rnd: Round, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.round = rnd  # the model's clean() checks the dates against the round's window

    def settings(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class EntryForm(forms.Form):
    """A new entry (the recording is required) or changes to one (a new recording is optional)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    note = forms.CharField(
        label=_("Short note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you read and why, in a few lines (optional)."),
    )
    group_name = forms.CharField(label=_("Group name"), max_length=200, required=False)
    group_members = forms.CharField(
        label=_("Group members"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One full name per line."),
    )
    consent_publish = forms.BooleanField(
        label=_("I agree that this entry may be shown in the public gallery"),
        required=False,
        help_text=_("You can withdraw this consent at any time; the entry then leaves the gallery."),
    )
    recording = forms.FileField(label=_("Recording"), required=False)
    # A finished resumable upload (its Location, /uploads/<key>, or the key), sent instead of a file part.
    upload = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    source = forms.ChoiceField(
        choices=EntryVersion.Source.choices, initial=EntryVersion.Source.UPLOADED, widget=forms.HiddenInput
    )

    ENTRY_FIELDS = ("title", "note", "group_name", "group_members", "consent_publish")

    def __init__(self, *args, reading_round: ReadingRound, require_media: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.require_media = require_media
        if reading_round.is_group:
            self.fields["group_name"].required = True
            self.fields["group_members"].required = True
        else:
            del self.fields["group_name"], self.fields["group_members"]

    def clean(self):
        data = super().clean()
        recording, upload = data.get("recording"), (data.get("upload") or "").strip()
        if self.require_media and not recording and not upload and "recording" not in self.errors:
            self.add_error("recording", forms.ValidationError(_("Record or choose a file to send."), code="required"))
        if recording and upload:
            self.add_error("recording", _("Send the file once: either attached to the form or uploaded beforehand."))
        return data

    @property
    def has_media(self) -> bool:
        return bool(self.cleaned_data.get("recording") or self.cleaned_data.get("upload"))

    def entry_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.ENTRY_FIELDS if name in self.fields}


class ConsentForm(forms.Form):
    """After the deadline only the consent to publish can change."""

    consent_publish = EntryForm.base_fields["consent_publish"]

    def entry_fields(self) -> dict:
        return {"consent_publish": self.cleaned_data["consent_publish"]}


# The moderation actions of services.entries_moderate, plus requeueing failed processing.
ACTION_CHOICES = [
    ("approve", _("Approve for the gallery")),
    ("hide", _("Hide from the gallery")),
    ("reject", _("Reject (give a reason)")),
    ("pending", _("Back to awaiting review")),
    ("requeue", _("Process failed recordings again")),
]


class ModerationForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=ACTION_CHOICES)
    reason = forms.CharField(
        label=_("Reason"), max_length=300, required=False, help_text=_("Shown to the participant.")
    )
    entries = forms.ModelMultipleChoiceField(queryset=Entry.objects.none(), widget=forms.MultipleHiddenInput)

    def __init__(self, *args, reading_round: ReadingRound, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this round's entries: an id from another round is an invalid choice, not a silent write.
        self.fields["entries"].queryset = Entry.objects.filter(reading_round=reading_round)

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the participant a reason for the rejection."))
        return data


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Processing"), required=False, choices=[("", _("Any")), *EntryVersion.State.choices]
    )
    moderation = forms.ChoiceField(
        label=_("Review"), required=False, choices=[("", _("Any")), *Entry.Moderation.choices]
    )
    region = GroupedRegionField(label=_("Region"), required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation / school"), required=False, queryset=Organisation.objects.none()
    )

    def __init__(self, *args, reading_round: ReadingRound, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].load_choices()
        self.fields["organisation"].queryset = Organisation.objects.filter(
            participants__user__reading_entries__reading_round=reading_round
        ).distinct()

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        return QueueFilters(
            state=data["state"],
            moderation=data["moderation"],
            region_id=data["region"].pk if data["region"] else None,
            organisation_id=data["organisation"].pk if data["organisation"] else None,
        )
