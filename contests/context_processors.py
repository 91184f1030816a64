from . import selectors


def navigation(request):
    """What the base layout needs on every page: whether to show the organiser area and a profile reminder.
    Both are callables, read only by pages that show them: the timed attempt's page shows neither."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def profile_incomplete() -> bool:  # called by the template only where it shows the reminder
        profile = getattr(user, "profile", None)
        return profile is None or not profile.is_complete

    return {
        "nav_is_organiser": lambda: selectors.shows_organiser_area(user),
        "nav_profile_incomplete": profile_incomplete,
    }
