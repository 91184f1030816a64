"""Forms of the forum: validation with messages in the user's language; services do the writing."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Report, Resource
from .services import BODY_MAX

IMAGE_MAX_BYTES = 8 * 1024 * 1024
MARKDOWN_HELP = _("Markdown: **bold**, *italic*, [link](https://…), lists with “-”, quotes with “>”.")


class ImageUploadField(forms.ImageField):
    """An optional picture, refused above 8 MB before Pillow opens it (it is re-encoded and resized later)."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Picture (optional)"),
            required=False,
            help_text=_("JPEG, PNG, WebP or GIF, at most 8 MB. Location and camera data are removed."),
            widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
            **kwargs,
        )

    def clean(self, data, initial=None):
        if data and getattr(data, "size", 0) > IMAGE_MAX_BYTES:
            raise forms.ValidationError(_("The picture is larger than 8 MB."), code="image_too_big")
        return super().clean(data, initial)


def _body_field(label):
    return forms.CharField(
        label=label,
        max_length=BODY_MAX,
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class TopicForm(forms.Form):
    title = forms.CharField(label=_("Title"), min_length=3, max_length=200)
    body = _body_field(_("Message"))
    image = ImageUploadField()


class ReplyForm(forms.Form):
    body = _body_field(_("Your reply"))
    image = ImageUploadField()
    quote = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["id"] = "reply-body"


class EditForm(forms.Form):
    title = forms.CharField(label=_("Title"), min_length=3, max_length=200, required=False)
    body = _body_field(_("Message"))

    def __init__(self, *args, opening: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if opening:
            self.fields["title"].required = True
        else:
            del self.fields["title"]


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("What is wrong with this message?"), choices=Report.Reason.choices)
    note = forms.CharField(
        label=_("Details for the organisers (optional)"), max_length=500, required=False, widget=forms.Textarea
    )


class ResourceForm(forms.ModelForm):
    url = forms.URLField(label=_("Link"), max_length=500, assume_scheme="https")

    class Meta:
        model = Resource
        fields = ["title", "url", "note"]


def quoted(body: str) -> str:
    """A post's text as a Markdown quote, to start a reply with."""
    lines = body.strip().splitlines()[:12]
    return "\n".join(f"> {line}" for line in lines) + "\n\n"
