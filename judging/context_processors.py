"""What the base layout needs from this app on every page: whether to show the "Judging" link."""

from .selectors import has_panels


def judging(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_is_judge": lambda: has_panels(user=user)}  # read only where the link is drawn
