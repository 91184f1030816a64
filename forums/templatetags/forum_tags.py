from django import template

register = template.Library()


@register.filter
def author_name(user) -> str:
    """The name a person chose to show in public (full name or initials, Decree 13), else their username."""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.full_name:
        return profile.display_name
    return user.get_username()
