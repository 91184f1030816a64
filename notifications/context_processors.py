import functools

from .selectors import BELL_MAX, unread_count


def bell(request):
    """The bell in the header: the signed-in person's unread count (cached: see ``selectors.unread_count``),
    as callables read only by pages that draw the bell (the timed attempt's page does not)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def count() -> int:
        return unread_count(user=user)

    return {"bell_unread": count, "bell_unread_label": lambda: f"{BELL_MAX}+" if count() > BELL_MAX else str(count())}
