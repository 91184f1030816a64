"""Filters of the attempts list and the suspicion report's window. Bad values give a message in the user's
language next to the field; the list then shows every attempt (nothing is changed by a filter anyway)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from contests.models import Category, Organisation, Region, Round

from .suspicion import DEFAULT_WINDOW_S

DATETIME_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


class RegionChoice(forms.ModelChoiceField):
    def label_from_instance(self, region: Region) -> str:
        indent = {"province": "", "district": "— ", "commune": "— — "}.get(region.level, "")
        return f"{indent}{region.name}"


class AttemptFilterForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("School or unit"), queryset=Organisation.objects.none(), required=False)
    region = RegionChoice(label=_("Region"), queryset=Region.objects.order_by("code"), required=False)
    category = forms.ChoiceField(label=_("Category"), choices=[("", "---------"), *Category.choices], required=False)
    score_min = forms.DecimalField(label=_("Score from"), required=False, min_value=0, max_digits=8, decimal_places=2)
    score_max = forms.DecimalField(label=_("Score up to"), required=False, min_value=0, max_digits=8, decimal_places=2)
    started_from = forms.DateTimeField(
        label=_("Started from"),
        required=False,
        input_formats=DATETIME_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    started_to = forms.DateTimeField(
        label=_("Started up to"),
        required=False,
        input_formats=DATETIME_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, rnd: Round, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the units the round's participants named: an organiser learns nothing of other units here.
        self.fields["unit"].queryset = (
            Organisation.objects.filter(participants__user__quiz_attempts__quiz_round__round=rnd)
            .distinct()
            .order_by("name")
        )

    def clean(self):
        data = super().clean()
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", _("The upper score must not be below the lower one."))
        start, end = data.get("started_from"), data.get("started_to")
        if start and end and start > end:
            self.add_error("started_to", _("The end must not be before the start."))
        return data


class SuspicionForm(forms.Form):
    window = forms.IntegerField(
        label=_("Submitted within (seconds)"), min_value=1, max_value=3600, initial=DEFAULT_WINDOW_S, required=False
    )
