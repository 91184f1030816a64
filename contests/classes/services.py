"""Writes of class accounts: create them from a clean class list, reset temporary passwords, record a
guardian's consent from its paper form, and the pupil's own first password."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hashers_by_algorithm, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from ..models import Category, ClassAccount, ConsentKind, ConsentRecord, Organisation, Profile
from ..services import consent_change
from .parsing import PupilRow

# No 0/o, 1/l/i: a pupil copies this from paper onto a phone's keyboard.
CARD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CARD_SECRET_LENGTH = 10


@dataclass(frozen=True)
class IssuedCard:
    """What one login card prints. The password exists in clear only here, between its creation and the
    teacher's download of the cards (kept in their session); the database keeps its hash."""

    account_id: int
    password: str


def _ascii(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9 ]", "", folded.lower())


def username_base(full_name: str) -> str:
    """A readable username from a Vietnamese name: the given name, then the initials of the family and
    middle names, as Vietnamese schools and offices spell e-mail names ("Nguyễn Văn An" → "an.nv")."""
    parts = _ascii(full_name).split() or ["hs"]
    given, others = parts[-1], parts[:-1]
    return (given + ("." + "".join(p[0] for p in others) if others else ""))[:24]


def _unique_username(base: str, taken: set[str]) -> str:
    User = get_user_model()
    candidate, number = base, 1
    while candidate in taken or User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}{number}"
    taken.add(candidate)
    return candidate


def temporary_password() -> str:
    return get_random_string(CARD_SECRET_LENGTH, CARD_ALPHABET)


def _card_hash(password: str) -> str:
    """The stored hash of a card's password: the card hasher when configured (``hashers.py`` says why)."""
    from .hashers import TemporaryPasswordHasher

    available = TemporaryPasswordHasher.algorithm in get_hashers_by_algorithm()
    return make_password(password, hasher=TemporaryPasswordHasher.algorithm if available else "default")


@transaction.atomic
def class_accounts_create(
    *, unit: Organisation, by, rows: list[PupilRow], now: dt.datetime | None = None
) -> list[IssuedCard]:
    """Create one account per row of a clean class list for ``unit``; return the cards to print.

    Refuses a list with any error, so that half a class never exists. A pupil already in the unit (same
    full name and date of birth) is refused too: uploading the same list twice must not double the class.
    """
    if not rows or any(row.errors for row in rows):
        raise ValidationError(_("The class list has errors; no account was created."))
    now = now or timezone.now()
    existing = set(
        ClassAccount.objects.filter(organisation=unit).values_list(
            "user__profile__full_name", "user__profile__date_of_birth"
        )
    )
    again = [row for row in rows if (row.full_name, row.born) in existing]
    if again:
        raise ValidationError(
            _("These pupils already have an account in this unit: %(names)s. Remove them from the list.")
            % {"names": ", ".join(row.full_name for row in again[:10])}
        )
    taken: set[str] = set()
    cards = []
    for row in rows:
        password = temporary_password()
        user = get_user_model().objects.create_user(
            username=_unique_username(username_base(row.full_name), taken), email="", password=None
        )
        user.password = _card_hash(password)
        user.save(update_fields=["password"])
        Profile.objects.create(
            user=user,
            full_name=row.full_name,
            date_of_birth=row.born,
            organisation=unit,
            region=unit.region,
            category=Category.PUPIL,
        )
        account = ClassAccount.objects.create(
            user=user, organisation=unit, class_name=row.class_name, created_by=by, created_at=now
        )
        cards.append(IssuedCard(account_id=account.pk, password=password))
    return cards


@transaction.atomic
def class_passwords_reset(*, accounts: list[ClassAccount], by) -> list[IssuedCard]:
    """New temporary passwords (a lost card, a forgotten password); each must be changed at next sign-in."""
    cards = []
    for account in accounts:
        password = temporary_password()
        account.user.password = _card_hash(password)
        account.user.save(update_fields=["password"])
        account.must_change_password = True
        account.save(update_fields=["must_change_password"])
        cards.append(IssuedCard(account_id=account.pk, password=password))
    return cards


@transaction.atomic
def guardian_consent_record(
    *,
    account: ClassAccount,
    by,
    guardian_name: str,
    reference: str,
    form_date: dt.date,
    now: dt.datetime | None = None,
) -> ConsentRecord:
    """Record that a pupil's guardian signed the consent form ``reference`` on ``form_date``.

    Kept as a record of its own (who recorded it, when, from which form) so that the consent is never
    mistaken for the minor's own tick; the consent itself is given through ``consent_change``, so that it
    appears in the pupil's consent history (My data) with the teacher who recorded it, and the profile's
    guardian stamp follows it, so eligibility checks see it.
    """
    now = now or timezone.now()
    guardian_name, reference = " ".join(guardian_name.split()), reference.strip()
    if not guardian_name or not reference:
        raise ValidationError(_("Give the guardian's name and the consent form's reference."))
    if form_date > timezone.localdate(now):
        raise ValidationError(_("The consent form cannot be dated in the future."))
    record = ConsentRecord(
        user=account.user,
        kind=ConsentRecord.Kind.GUARDIAN,
        guardian_name=guardian_name,
        reference=reference,
        form_date=form_date,
        recorded_by=by,
        recorded_at=now,
    )
    record.full_clean()
    record.save()
    profile = Profile.objects.select_for_update().get(user=account.user)
    Profile.objects.filter(pk=profile.pk).update(guardian_name=guardian_name)
    consent_change(profile=profile, kind=ConsentKind.GUARDIAN, given=True, by=by, now=now, paper_form=record)
    return record


def first_password_set(*, account: ClassAccount, now: dt.datetime | None = None) -> None:
    """The pupil chose their own password: the temporary one is gone, the sign-in hold lifts."""
    account.must_change_password = False
    account.password_changed_at = now or timezone.now()
    account.save(update_fields=["must_change_password", "password_changed_at"])
