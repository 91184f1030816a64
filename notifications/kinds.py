"""The kinds of notification, and the sentence each one shows.

Texts are rendered when read (in the reader's language), from the parameters stored with the notification,
so that a notification written while the site spoke Vietnamese reads in English to someone who switched.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ROUND_OPENS = "round_opens", _("A round I registered for opens within 24 hours")
    ROUND_CLOSES = "round_closes", _("A round I registered for closes within 24 hours")
    ATTEMPT_CLOSED = "attempt_closed", _("My attempt was closed by the deadline")
    ENTRY_READY = "entry_ready", _("My entry is ready")
    ENTRY_REJECTED = "entry_rejected", _("My entry was rejected")
    RESULTS_PUBLISHED = "results_published", _("Results are published")
    CERTIFICATE_ISSUED = "certificate_issued", _("My certificate is issued")
    APPEAL_ANSWERED = "appeal_answered", _("My appeal was answered")


# One sentence per kind; the %(name)s placeholders come from the notification's ``params``.
TEXTS = {
    Kind.ROUND_OPENS: _("“%(round)s” opens at %(at)s."),
    Kind.ROUND_CLOSES: _("“%(round)s” closes at %(at)s: take part before then."),
    Kind.ATTEMPT_CLOSED: _("The time was up: your attempt in “%(round)s” was closed and graded."),
    Kind.ENTRY_READY: _("Your entry “%(entry)s” is processed and ready."),
    Kind.ENTRY_REJECTED: _("Your entry “%(entry)s” was rejected: %(reason)s"),
    Kind.RESULTS_PUBLISHED: _("The results of “%(title)s” are published."),
    Kind.CERTIFICATE_ISSUED: _("Your certificate for “%(title)s” is issued (code %(code)s)."),
    Kind.APPEAL_ANSWERED: _("Your appeal about “%(title)s” was answered."),
}

# What someone who never opened the preferences page receives. The phone channel (SMS, Zalo OA) costs the
# organisers money per message, so it is opt-in.
DEFAULTS = {"site": True, "email": True, "phone": False}
