"""Writes of "My data" (Decree 13/2023/NĐ-CP): withdrawing a consent, and erasing an account at its owner's
request.

Erasing keeps what others rely on and removes who the person is. Scores, attempts, votes and published rows
stay (ranks, prizes, vote totals and ``verify_results`` must stay recomputable), attached to a user row
that can no longer sign in and carries no name; published rows are renamed "Thí sinh #<id>" through the
leaderboard's audited service. Name, e-mail, phone, date of birth, the guardian's name, entry texts that may
name people, and the recordings' files are deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contest_site import ratelimit
from contests.models import ConsentEvent, ConsentKind, Membership, Profile
from contests.services import consent_change
from leaderboard.results import result_rows_anonymise
from submissions.models import Entry, EntryVersion, ResumableUpload

from .models import Erasure

if TYPE_CHECKING:
    from collections.abc import Iterable

log = logging.getLogger(__name__)

EXPORTS_PER_HOUR = 5  # an export reads every table about a person: enough for a person, too few for a script
DELETE_TRIES_PER_HOUR = 5  # wrong passwords before the delete form stops checking for the hour


class MyDataError(ValidationError):
    """A refused "My data" action, with a message in the user's language."""


class MyDataLimited(MyDataError, ratelimit.RateLimited):
    pass


def anonymous_label(user_id: int) -> str:
    """The name a deleted account keeps on published results, in the site's language (results are an
    official document in Vietnamese): "Thí sinh #1234"."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Participant #%(number)s") % {"number": user_id}


def mydata_export_check(*, user: Any, now: dt.datetime | None = None) -> None:
    """Count one export; refuse past ``EXPORTS_PER_HOUR`` (an export is the heaviest read a participant
    can make)."""
    if not ratelimit.hit(f"mydata-export:{user.pk}", limit=EXPORTS_PER_HOUR, period_s=3600, now=now):
        raise MyDataLimited(_("You have downloaded your data several times this hour. Try again later."))


@transaction.atomic
def consent_withdraw(*, user: Any, kind: str, now: dt.datetime | None = None) -> ConsentEvent:
    """Withdraw one consent; ``contests.services.consent_change`` records the withdrawal with its time in
    the one consent history (the profile's stamp alone could not say when a consent ended).

    Withdrawing the data-processing consent makes the profile incomplete: the person can no longer start
    attempts, entries or votes until they give it again on their profile; what they already did stays
    (results are kept as the contest's rules say). A minor's guardian consent works the same way.
    """
    now = now or timezone.now()
    if kind not in ConsentKind.values:
        raise MyDataError(_("Unknown consent."))
    profile = Profile.objects.select_for_update().filter(user=user).first()
    event = consent_change(profile=profile, kind=kind, given=False, by=user, now=now) if profile else None
    if event is None:
        raise MyDataError(_("This consent is not given: there is nothing to withdraw."))
    return event


@transaction.atomic
def account_erase(*, user: Any, password: str, now: dt.datetime | None = None) -> Erasure:
    """Erase ``user``'s personal data at their request, after checking their password again.

    Preconditions: the caller is ``user`` (the view passes ``request.user``). Wrong passwords are counted
    (``DELETE_TRIES_PER_HOUR``). Files are deleted after commit, so that a failure leaves them in place
    along with the rows that point at them.
    """
    now = now or timezone.now()
    if Erasure.objects.filter(user=user).exists():
        raise MyDataError(_("This account is already deleted."))
    if ratelimit.over(f"mydata-delete:{user.pk}", limit=DELETE_TRIES_PER_HOUR, period_s=3600, now=now):
        raise MyDataLimited(_("Too many wrong passwords. Try again in an hour."))
    if not user.has_usable_password() or not user.check_password(password):
        ratelimit.hit(f"mydata-delete:{user.pk}", limit=DELETE_TRIES_PER_HOUR, period_s=3600, now=now)
        raise MyDataError(_("The password is not right: your account was not deleted."))

    label = anonymous_label(user.pk)
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Personal data erased at the participant's request (Decree 13/2023)")
    renamed = result_rows_anonymise(user=user, label=label, reason=reason, by=None, now=now)

    profile = Profile.objects.select_for_update().filter(user=user).first()
    if profile is not None:
        for kind in ConsentKind.values:
            consent_change(profile=profile, kind=kind, given=False, by=user, now=now)
        # The label stands in for the name wherever one is shown (live boards, forum posts), as on results.
        Profile.objects.filter(pk=profile.pk).update(
            full_name=label,
            date_of_birth=None,
            phone=None,
            guardian_name="",
            organisation_name="",
            public_name=Profile.PublicName.FULL,
        )

    versions = list(EntryVersion.objects.filter(entry__user=user))
    files = [(f.storage, f.name) for v in versions for f in (v.original, v.media, v.poster) if f and f.name]
    EntryVersion.objects.filter(pk__in=[v.pk for v in versions]).update(
        original="", media="", poster="", original_name="", peaks=[]
    )
    Entry.objects.filter(user=user).update(title=label, note="", group_name="", group_members="")
    uploads = list(ResumableUpload.objects.filter(user=user))
    ResumableUpload.objects.filter(pk__in=[u.pk for u in uploads]).delete()

    EmailAddress.objects.filter(user=user).delete()
    user.socialaccount_set.all().delete()
    Membership.objects.filter(user=user).delete()
    user.username = f"erased-{user.pk}"
    user.email = user.first_name = user.last_name = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()  # also ends every session: the session hash no longer matches
    user.save()

    erasure = Erasure.objects.create(user=user, at=now, result_rows=renamed, files_deleted=len(files))
    transaction.on_commit(lambda: _delete_stored(files, uploads))
    return erasure


def _delete_stored(files: Iterable[tuple[Any, str]], uploads: Iterable[Any]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            log.warning("erasure: could not delete %s", name)
    for upload in uploads:
        upload.path.unlink(missing_ok=True)
