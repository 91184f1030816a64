"""Organiser forms of the quizzes app. Question rules live in ``importing.base.validate_question`` so that
the editor and every importer agree on what a valid question is."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from contests.forms import DateTimeInput

from .importing.base import ParsedChoice, ParsedQuestion, validate_question
from .models import Question, QuestionBank, Quiz, QuizRound


class BankForm(forms.ModelForm):
    class Meta:
        model = QuestionBank
        fields = ["title", "description", "is_public"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class QuestionForm(forms.ModelForm):
    resource_url = forms.URLField(
        label=_("Learning resource link"), required=False, max_length=200, assume_scheme="https"
    )
    image = forms.ImageField(
        label=_("Image"), required=False, help_text=_("Resized to 1200×900 at most; EXIF removed.")
    )

    class Meta:
        model = Question
        fields = [
            "type",
            "text",
            "topic",
            "difficulty",
            "points",
            "partial_credit",
            "ignore_diacritics",
            "explanation",
            "resource_url",
            "resource_title",
            "time_limit_s",
        ]
        widgets = {"text": forms.Textarea(attrs={"rows": 3}), "explanation": forms.Textarea(attrs={"rows": 3})}


class ChoiceForm(forms.Form):
    text = forms.CharField(label=_("Choice"), max_length=500, required=False)
    is_correct = forms.BooleanField(label=_("Correct"), required=False)


ChoiceFormSet = forms.formset_factory(ChoiceForm, extra=0, min_num=6, max_num=10, absolute_max=10)


def parsed_from_forms(form: QuestionForm, choices) -> ParsedQuestion:
    """The editor's input as a ParsedQuestion, validated by the same rules as an import."""
    data = form.cleaned_data
    parsed = ParsedQuestion(
        where=_("this question"),
        type=data["type"],
        text=data["text"],
        choices=[
            ParsedChoice(text=c["text"], is_correct=c.get("is_correct", False))
            for c in choices.cleaned_data
            if c.get("text", "").strip()
        ],
        topic=data.get("topic") or "",
        difficulty=data["difficulty"],
        explanation=data.get("explanation") or "",
        resource_url=data.get("resource_url") or "",
        resource_title=data.get("resource_title") or "",
        partial_credit=data.get("partial_credit", False),
        ignore_diacritics=data.get("ignore_diacritics", False),
        time_limit_s=data.get("time_limit_s"),
        points=float(data["points"]),
    )
    return validate_question(parsed)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Question file"),
        help_text=_(
            "Excel or CSV (the template below), a Kahoot! spreadsheet, Moodle GIFT or Moodle XML; 5 MB at most."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is too large (at most 5 MB)."))
        return upload


class QuizForm(forms.ModelForm):
    class Meta:
        model = Quiz
        fields = ["title", "bank", "shuffle_questions", "shuffle_choices"]

    def __init__(self, *args, banks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = banks


class RuleForm(forms.Form):
    topic = forms.CharField(label=_("Topic"), required=False, max_length=120, help_text=_("Empty = any topic."))
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), *Question.Difficulty.choices],
    )
    count = forms.IntegerField(label=_("Number of questions"), min_value=1, max_value=200, required=False)


RuleFormSet = forms.formset_factory(RuleForm, extra=3, max_num=30, absolute_max=30)


class QuizRoundForm(forms.ModelForm):
    time_limit_minutes = forms.IntegerField(label=_("Time limit (minutes)"), min_value=1, max_value=600)

    class Meta:
        model = QuizRound
        fields = ["quiz", "attempts_allowed", "counting", "feedback", "prediction_prompt", "time_tiebreak", "grace_s"]

    def __init__(self, *args, quizzes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quiz"].queryset = quizzes
        if self.instance.pk:
            self.initial["time_limit_minutes"] = max(1, self.instance.time_limit_s // 60)
        else:
            self.initial.setdefault("time_limit_minutes", 15)
        self.order_fields(["quiz", "time_limit_minutes"])

    def settings(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "quiz"}
        values["time_limit_s"] = self.cleaned_data["time_limit_minutes"] * 60
        return values


class WeeklySeriesForm(QuizRoundForm):
    title_pattern = forms.CharField(
        label=_("Title"), initial="Tuần {n}", max_length=180, help_text=_("{n} is replaced by the week number.")
    )
    first_opens_at = forms.DateTimeField(label=_("First round opens at"), widget=DateTimeInput())
    open_hours = forms.IntegerField(
        label=_("Each round stays open (hours)"),
        min_value=1,
        max_value=24 * 7,
        initial=7 * 24 - 1,
        help_text=_("E.g. 167 = Monday 16:00 to next Monday 15:00."),
    )
    weeks = forms.IntegerField(label=_("Number of weeks"), min_value=1, max_value=52, initial=4)
    weight = forms.DecimalField(label=_("Weight of each round in the event total"), min_value=0, initial=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(
            ["title_pattern", "first_opens_at", "open_hours", "weeks", "weight", "quiz", "time_limit_minutes"]
        )


class AccommodationForm(forms.Form):
    participant = forms.CharField(label=_("Participant (email or phone)"), max_length=120)
    extra_time_percent = forms.IntegerField(label=_("Extra time (%)"), min_value=0, max_value=200, initial=0)
    extra_attempts = forms.IntegerField(label=_("Extra attempts"), min_value=0, max_value=10, initial=0)
    reason = forms.CharField(label=_("Reason"), max_length=300)
