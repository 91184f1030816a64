"""ASGI entry point: HTTP goes through the body limits to Django (or the autosave door), WebSockets through the
origin check and the session/auth middleware."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contest_site.settings.base")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the app registry loaded above)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from quizzes.attempt_door import attempt_routes  # noqa: E402
from quizzes.autosave import AutosaveConsumer  # noqa: E402
from submissions.tus import TusEndpoint  # noqa: E402

from .bodylimits import BodyLimitMiddleware  # noqa: E402
from .routing import websocket_urlpatterns  # noqa: E402

# The autosave of quiz answers is answered before Django's handler (quizzes/autosave.py explains why);
# it resolves the session's user itself, on its writer thread. Every other HTTP request goes to Django.
# Every body is bounded by its route's limit before either of them reads it (contest_site/bodylimits.py).
http_routes = BodyLimitMiddleware(
    URLRouter(
        [
            path("attempts/<int:attempt_id>/answer/", AutosaveConsumer.as_asgi()),
            path("uploads/", TusEndpoint()),  # resumable uploads (tus 1.0), streamed to disk: submissions/tus.py
            path("uploads/<str:key>", TusEndpoint()),
            *attempt_routes(django_asgi_app),  # the timed attempt's pages, a few at a time (quizzes/attempt_door.py)
            re_path(r"", django_asgi_app),
        ]
    )
)

application = ProtocolTypeRouter(
    {
        "http": http_routes,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


def _tune_garbage_collector() -> None:
    """A daphne process holding thousands of live sockets has millions of tracked objects, and Python's
    default thresholds ran a full collection over all of them every few seconds: 300 ms each, during
    which the process answered nobody (measured with bench/live_round.py: the question that met one
    reached phones 370 ms late and answer acknowledgements queued behind it). Freezing what startup
    made (modules, URL patterns, templates: never garbage) takes it out of every collection, and a
    larger first threshold makes collections rarer; reference counting still frees almost everything."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _warm_up() -> None:
    """Build the URL resolver's reverse table for each language now. Django builds it on the first reverse()
    in a language, in every request thread that gets there before it is done: after a restart in a rush, 100
    requests built it at once, 110 ms of CPU each (bench/quiz_submit.py --profile)."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            reverse("home")


_warm_up()
_tune_garbage_collector()
