"""Who may manage which pupils: a unit's teachers and organisers, each only their own unit's pupils."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ..models import ClassAccount, Membership, Organisation

MANAGING_ROLES = [Membership.Role.TEACHER, Membership.Role.ORGANISER]


def units_taught_by(user) -> QuerySet[Organisation]:
    """Units whose class accounts ``user`` manages: their teacher or organiser memberships (all for a site
    admin). A unit's own membership counts, not its parent's: a district office does not see each school's
    pupils through this page."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user, memberships__role__in=MANAGING_ROLES).distinct()


def access_unit_for_teacher(*, user, slug: str) -> Organisation:
    """The unit if ``user`` manages its class accounts, else 404 (the same for "missing" and "not yours")."""
    unit = units_taught_by(user).filter(slug=slug).first()
    if unit is None:
        raise Http404
    return unit


def pupils_of(*, unit: Organisation, class_name: str = "") -> QuerySet[ClassAccount]:
    accounts = ClassAccount.objects.filter(organisation=unit).select_related("user__profile")
    if class_name:
        accounts = accounts.filter(class_name=class_name)
    return accounts.prefetch_related("user__consent_records")


def access_pupils_for_teacher(*, unit: Organisation, account_ids) -> list[ClassAccount]:
    """The unit's class accounts among ``account_ids``; ids of other units' pupils are silently left out."""
    return list(pupils_of(unit=unit).filter(pk__in=[int(pk) for pk in account_ids if str(pk).isdigit()]))


def class_names_of(*, unit: Organisation) -> list[str]:
    return list(
        ClassAccount.objects.filter(organisation=unit)
        .order_by("class_name")
        .values_list("class_name", flat=True)
        .distinct()
    )
