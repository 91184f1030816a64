"""Who may take part in an event: a pure rule over an event and a profile, with reasons people can read."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from .models import Category, Event, Profile


def eligibility_problems(*, event: Event, profile: Profile | None, today: dt.date, region_ids: set[int]) -> list[str]:
    """Return why ``profile`` may not take part in ``event`` (empty list = eligible).

    ``region_ids`` is the set of eligible regions *and their descendants*: an event open to a district
    is open to every commune in it. Age is taken on ``today`` so that every check in a request agrees.
    """
    if profile is None or not profile.is_complete:
        return [_("Complete your profile and give consent to take part.")]
    problems = []
    if event.eligible_categories and profile.category not in event.eligible_categories:
        labels = ", ".join(str(Category(c).label) for c in event.eligible_categories)
        problems.append(_("This event is for: %(categories)s.") % {"categories": labels})
    if region_ids and profile.region_id not in region_ids:
        problems.append(_("This event is not open to participants from your region."))
    age = profile.age_on(today)
    if age is None:  # not reached: a complete profile has a date of birth
        return problems
    if event.min_age is not None and age < event.min_age:
        problems.append(_("You must be at least %(age)d years old.") % {"age": event.min_age})
    if event.max_age is not None and age > event.max_age:
        problems.append(_("You must be at most %(age)d years old.") % {"age": event.max_age})
    return problems
