"""A signed-in session for clients that skip the sign-in form: test browsers, served apps, fault scenarios."""

from django.conf import settings
from django.test import Client


def signed_in_session(user) -> str:
    """The session key a browser carries after signing in as ``user``. Django's ``force_login`` makes it
    with the configured session engine, backend and auth hash, exactly as a real sign-in leaves them."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
