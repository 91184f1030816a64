from . import selectors


def navigation(request):
    """What the base layout needs on every page: whether to show the organiser area and a profile reminder."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    profile = getattr(user, "profile", None)
    return {
        "nav_is_organiser": selectors.shows_organiser_area(user),
        "nav_profile_incomplete": profile is None or not profile.is_complete,
    }
