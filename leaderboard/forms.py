from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ResultRow


class PrizesForm(forms.Form):
    first = forms.IntegerField(label=_("First prizes"), min_value=0, max_value=1000, initial=1)
    second = forms.IntegerField(label=_("Second prizes"), min_value=0, max_value=1000, initial=2)
    third = forms.IntegerField(label=_("Third prizes"), min_value=0, max_value=1000, initial=3)
    consolation = forms.IntegerField(label=_("Consolation prizes"), min_value=0, max_value=10000, initial=5)


class CorrectionForm(forms.Form):
    row = forms.IntegerField(widget=forms.HiddenInput)
    total = forms.DecimalField(label=_("Total"), max_digits=14, decimal_places=2, required=False)
    prize = forms.ChoiceField(label=_("Prize"), required=False, choices=[("", "—"), *ResultRow.Prize.choices])
    reason = forms.CharField(label=_("Reason"), max_length=500)
