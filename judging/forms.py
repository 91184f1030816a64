"""Forms of judging: they validate input and say what is wrong in the user's language; services write."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from contests.forms import DateTimeInput
from contests.models import Organisation
from submissions.models import ReadingRound

from .models import Criterion, RoundJudge, Stages
from .services import JUDGING_FIELDS


class JudgingSettingsForm(forms.ModelForm):
    class Meta:
        model = ReadingRound
        fields = list(JUDGING_FIELDS)
        widgets = {"judging_opens_at": DateTimeInput(), "judging_closes_at": DateTimeInput()}
        help_texts = {
            "judging_opens_at": _("Empty = judges may score entries as soon as they are assigned."),
            "judging_closes_at": _("Judges see the other scores and the votes only after this."),
        }

    def settings(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CriterionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Criterion"), max_length=120)
    description = forms.CharField(
        label=_("What judges look for"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    max_points = forms.DecimalField(
        label=_("Maximum"), min_value=Decimal("0.5"), max_value=Decimal(1000), decimal_places=2, initial=10
    )
    weight = forms.DecimalField(label=_("Weight"), min_value=0, max_value=Decimal(100), decimal_places=2, initial=1)


class BaseRubricFormSet(forms.BaseFormSet):
    def items(self) -> list[dict]:
        """The kept criteria in their order, as ``services.rubric_save`` takes them."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("name")
        ]


RubricFormSet = forms.formset_factory(CriterionForm, formset=BaseRubricFormSet, extra=2, can_delete=True)


def rubric_initial(criteria: list[Criterion]) -> list[dict]:
    return [
        {"id": c.pk, "name": c.name, "description": c.description, "max_points": c.max_points, "weight": c.weight}
        for c in criteria
    ]


class EmailsField(forms.CharField):
    """Addresses separated by lines, commas or semicolons; each one checked."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [
            part.strip().lower() for part in text.replace(",", "\n").replace(";", "\n").splitlines() if part.strip()
        ]

    def validate(self, value):
        super().validate(value)
        for address in value:
            try:
                validate_email(address)
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    _("“%(address)s” is not an e-mail address."), params={"address": address}, code="invalid"
                ) from exc


class InviteForm(forms.Form):
    emails = EmailsField(
        label=_("E-mail addresses of the judges"), help_text=_("One per line. People without an account are invited.")
    )
    stages = forms.ChoiceField(label=_("Stages"), choices=Stages.choices, initial=Stages.FIRST)

    def __init__(self, *args, reading_round: ReadingRound, **kwargs):
        super().__init__(*args, **kwargs)
        if not reading_round.two_stage:
            self.fields["stages"].widget = forms.HiddenInput()


class JudgeForm(forms.Form):
    stages = forms.ChoiceField(label=_("Stages"), choices=Stages.choices)
    organisations = forms.ModelMultipleChoiceField(
        label=_("Declared organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("Entries from these organisations, or their units, never go to this judge."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    emails = forms.CharField(
        label=RoundJudge._meta.get_field("conflict_emails").verbose_name,
        help_text=RoundJudge._meta.get_field("conflict_emails").help_text,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, judge: RoundJudge, **kwargs):
        initial = {
            "stages": judge.stages,
            "organisations": list(judge.conflict_organisations.all()),
            "emails": judge.conflict_emails,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["organisations"].queryset = Organisation.objects.order_by("name")

    def clean_emails(self):
        text = self.cleaned_data["emails"]
        for line in text.splitlines():
            if line.strip():
                try:
                    validate_email(line.strip())
                except forms.ValidationError as exc:
                    raise forms.ValidationError(
                        _("“%(address)s” is not an e-mail address."), params={"address": line.strip()}
                    ) from exc
        return text


class ScoreForm(forms.Form):
    """One input per criterion (``c<id>``), a comment; ``action`` says draft or submit."""

    comment = forms.CharField(
        label=_("Comment for the organisers"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only the organisers read it."),
    )
    action = forms.ChoiceField(choices=[("draft", "draft"), ("submit", "submit")], initial="submit")

    def __init__(self, *args, criteria: list[Criterion], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"c{criterion.pk}"] = forms.DecimalField(
                label=criterion.name,
                required=False,
                min_value=0,
                max_value=criterion.max_points,
                decimal_places=2,
                help_text=criterion.description,
                widget=forms.NumberInput(
                    attrs={
                        "step": "0.25",
                        "min": "0",
                        "max": f"{criterion.max_points.normalize():f}",
                        "inputmode": "decimal",
                        "data-weight": f"{criterion.weight}",
                        "class": "criterion-input",
                    }
                ),
            )

    @property
    def submitting(self) -> bool:
        return self.cleaned_data.get("action") == "submit"

    def criterion_fields(self):
        return [(criterion, self[f"c{criterion.pk}"]) for criterion in self.criteria]

    def clean(self):
        data = super().clean()
        if data.get("action") == "submit":
            for criterion in self.criteria:
                if data.get(f"c{criterion.pk}") is None and f"c{criterion.pk}" not in self.errors:
                    self.add_error(f"c{criterion.pk}", _("Give a mark for every criterion before submitting."))
        return data

    def marks(self) -> dict[int, Decimal | None]:
        return {criterion.pk: self.cleaned_data.get(f"c{criterion.pk}") for criterion in self.criteria}


class AddJudgeForm(forms.Form):
    judge = forms.ModelChoiceField(label=_("Judge"), queryset=RoundJudge.objects.none())

    def __init__(self, *args, judges, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["judge"].queryset = judges
        self.fields["judge"].label_from_instance = lambda j: (
            getattr(getattr(j.user, "profile", None), "full_name", "") or j.user.email
        )
