"""A served application for test_serve.py: the project's body limits in front of an app that reads the whole
body and answers its length and SHA-256, so that a test sees exactly what our daphne handed over."""

import hashlib
import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contest_site.settings.base")
django.setup()

from contest_site.bodylimits import BodyLimitMiddleware  # noqa: E402  (needs the settings above)


async def echo(scope, receive, send):
    if scope["type"] != "http":
        return
    digest, length = hashlib.sha256(), 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        digest.update(message.get("body", b""))
        length += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    reply = json.dumps({"length": length, "sha256": digest.hexdigest()}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(reply)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": reply})


application = BodyLimitMiddleware(echo)
