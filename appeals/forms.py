from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Appeal, AppealPolicy
from .services import MAX_MESSAGE


class AppealForm(forms.Form):
    """A participant's appeal: about one question of their attempt, or about their score."""

    kind = forms.ChoiceField(label=_("The appeal is about"), choices=Appeal.Kind.choices, widget=forms.RadioSelect)
    item = forms.TypedChoiceField(label=_("Question"), coerce=int, required=False, empty_value=None)
    text = forms.CharField(
        label=_("What should be reviewed, and why"), max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {item.pk: item for item in items}
        self.fields["item"].choices = [("", "—")] + [
            (
                item.pk,
                _("Attempt %(n)d, question %(p)d: %(text)s")
                % {"n": item.attempt.number, "p": item.position + 1, "text": item.question.text[:80]},
            )
            for item in items
        ]

    def chosen_item(self):
        return self.items.get(self.cleaned_data.get("item"))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    """The organiser's answer. Accepting names how the result changes; every change is an audited correction."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    resolution = forms.ChoiceField(
        label=_("If accepted"), choices=[c for c in Appeal.Resolution.choices if c[0]], required=False
    )
    points_change = forms.DecimalField(
        label=_("Change of the round points (for “The score changed”)"),
        max_digits=8,
        decimal_places=2,
        required=False,
        help_text=_("E.g. 1 or -0.5."),
    )
    correct = forms.TypedMultipleChoiceField(
        label=_("Right answer(s) (for a key correction)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("Reason (the appellant reads it)"), max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["correct"].choices = [(c.pk, c.text) for c in choices]
        if not choices:
            del self.fields["correct"]


class PolicyForm(forms.ModelForm):
    class Meta:
        model = AppealPolicy
        fields = ["days", "max_per_round"]
        widgets = {"days": forms.NumberInput(attrs={"min": 0, "max": 60})}
