"""The appeal log as a spreadsheet: one row per appeal, with the thread's first message and the answer."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from contests.xlsx import spreadsheet_safe


def _when(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def appeal_log(sheet, *, appeals) -> None:
    sheet.title = _("Appeals")[:31]
    sheet.append(
        [
            _("Number"),
            _("Round"),
            _("Participant"),
            _("E-mail"),
            _("About"),
            _("Question"),
            _("Request"),
            _("Sent at"),
            _("Status"),
            _("Answer"),
            _("Resolution"),
            _("Change of points"),
            _("Answered at"),
        ]
    )
    for appeal in appeals.prefetch_related("messages"):
        thread = list(appeal.messages.all())
        profile = getattr(appeal.user, "profile", None)
        values = [
            appeal.pk,
            appeal.round.title,
            (profile.full_name if profile else "") or appeal.user.username,
            appeal.user.email,
            str(appeal.get_kind_display()),
            appeal.question.text if appeal.question_id else "",
            thread[0].body if thread else "",
            _when(appeal.created_at),
            str(appeal.get_status_display()),
            appeal.answer,
            str(appeal.get_resolution_display()) if appeal.resolution else "",
            float(appeal.points_change) if appeal.points_change is not None else None,
            _when(appeal.answered_at),
        ]
        sheet.append([spreadsheet_safe(value) for value in values])
