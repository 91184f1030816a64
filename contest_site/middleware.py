from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChosenLanguageMiddleware:
    """Vietnamese for everyone unless they chose English with the switch (Django's language cookie).

    Sync-only on purpose (see its place in settings.MIDDLEWARE).

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones in Vietnam
    run in English; the plan's audience reads Vietnamese, so the browser's setting is not a choice.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response


# Powerful browser features: the read-aloud recorder needs the camera and the microphone, the projector page
# goes full screen; nothing asks for a location, payments or devices, and no embedded page may ask for any.
PERMISSIONS_POLICY = ", ".join(
    [
        "camera=(self)",
        "microphone=(self)",
        "fullscreen=(self)",
        "display-capture=()",
        "geolocation=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "midi=()",
        "accelerometer=()",
        "gyroscope=()",
        "magnetometer=()",
        "browsing-topics=()",
    ]
)


class SecurityHeadersMiddleware(CSPMiddleware):
    """django-csp's Content-Security-Policy (settings.CONTENT_SECURITY_POLICY), plus what no setting says.

    - WebSockets of this very host are named in ``connect-src``: CSP level 3 browsers count them as 'self'
      (Chromium does), level 2 ones, still on some old phones, do not; nobody else's socket is allowed.
    - A view that may be framed (Django's ``@xframe_options_exempt``, the embeddable board) gets
      ``frame-ancestors *``: one decorator opens both headers, so they never disagree.
    - Permissions-Policy, which Django does not set.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        try:
            socket = f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}"
        except DisallowedHost:  # the 400 answer to a forged Host header opens no socket
            socket = None
        if socket:
            update = dict(parts.update or {})
            update["connect-src"] = [*_as_list(update.get("connect-src")), socket]
            parts.update = update
        if getattr(response, "xframe_options_exempt", False):
            parts.replace = {**(parts.replace or {}), "frame-ancestors": ["*"]}
        return parts

    def process_response(self, request, response):
        response = super().process_response(request, response)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def _as_list(value) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)
