from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ResultRow, ResultSet

PRIZE_KEYS = ("first", "second", "third", "consolation")


class PrizesForm(forms.Form):
    first = forms.IntegerField(label=_("First prizes"), min_value=0, max_value=1000, initial=1)
    second = forms.IntegerField(label=_("Second prizes"), min_value=0, max_value=1000, initial=2)
    third = forms.IntegerField(label=_("Third prizes"), min_value=0, max_value=1000, initial=3)
    consolation = forms.IntegerField(label=_("Consolation prizes"), min_value=0, max_value=10000, initial=5)
    split_by = forms.ChoiceField(label=_("Prize lists"), choices=ResultSet.SplitBy.choices, required=False)
    list_prizes = forms.CharField(
        label=_("Prize counts of particular lists (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One line per list whose counts differ from the ones above: the list's name as shown in the preview, "
            "a colon, then the numbers of first, second, third and consolation prizes. E.g. “Học sinh: 1, 2, 3, 5”."
        ),
    )

    def prizes(self) -> dict[str, int]:
        return {key: self.cleaned_data[key] for key in ("first", "second", "third", "consolation")}

    def clean_list_prizes(self) -> dict[str, dict]:
        """``{"Học sinh": {"first": 1, "second": 2, "third": 3, "consolation": 5}, …}`` from the lines."""
        lists = {}
        for number, line in enumerate(self.cleaned_data.get("list_prizes", "").splitlines(), 1):
            if not line.strip():
                continue
            name, _colon, counts = line.rpartition(":")
            values = [v.strip() for v in counts.split(",")]
            if not name.strip() or len(values) != 4 or not all(v.isdigit() and int(v) <= 10000 for v in values):
                raise forms.ValidationError(
                    _("Line %(n)d: write the list's name, a colon and four numbers, e.g. “Học sinh: 1, 2, 3, 5”.")
                    % {"n": number}
                )
            lists[name.strip()] = dict(zip(PRIZE_KEYS, (int(v) for v in values), strict=True))
        return lists

    def section_prizes(self) -> dict[str, dict]:
        return self.cleaned_data.get("list_prizes") or {}


class CorrectionForm(forms.Form):
    row = forms.IntegerField(widget=forms.HiddenInput)
    total = forms.DecimalField(label=_("Total"), max_digits=14, decimal_places=2, required=False)
    prize = forms.ChoiceField(label=_("Prize"), required=False, choices=[("", "—"), *ResultRow.Prize.choices])
    reason = forms.CharField(label=_("Reason"), max_length=500)


class UnitRulesForm(forms.Form):
    small_limit = forms.IntegerField(label=_("Small units: up to (people)"), min_value=1, initial=100)
    small_rate = forms.IntegerField(label=_("Small units: minimum rate (%)"), min_value=0, max_value=100, initial=80)
    medium_limit = forms.IntegerField(label=_("Medium units: up to (people)"), min_value=1, initial=500)
    medium_rate = forms.IntegerField(label=_("Medium units: minimum rate (%)"), min_value=0, max_value=100, initial=60)
    large_rate = forms.IntegerField(label=_("Larger units: minimum rate (%)"), min_value=0, max_value=100, initial=40)
    prizes_per_group = forms.IntegerField(label=_("Unit prizes per group (khối)"), min_value=0, max_value=20, initial=1)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("small_limit")
            and cleaned.get("medium_limit")
            and cleaned["medium_limit"] <= cleaned["small_limit"]
        ):
            self.add_error("medium_limit", _("Medium units must be larger than small units."))
        return cleaned

    def min_rates(self) -> list:
        data = self.cleaned_data
        return [
            [data["small_limit"], data["small_rate"] / 100],
            [data["medium_limit"], data["medium_rate"] / 100],
            [None, data["large_rate"] / 100],
        ]
