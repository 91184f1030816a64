"""A signed-in browser of the site, reduced to what the fault tests send: POSTs with the session cookie and
the CSRF double submit (cookie + X-CSRFToken header), redirects not followed."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from tests.faults.scenarios import CSRF

NETWORK_ERRORS = (OSError, http.client.HTTPException)  # refused, reset, cut mid-reply: nothing acknowledged


@dataclass
class Reply:
    status: int
    location: str
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def post(
    base_url: str,
    path: str,
    *,
    session: str,
    json_body=None,
    form: dict | None = None,
    timeout: float = 15,
    barrier: threading.Barrier | None = None,
) -> Reply:
    """POST as the signed-in browser whose session key is ``session``; raises one of NETWORK_ERRORS when the
    server is not there or dies before replying. With ``barrier``, the connection is opened first and the
    request sent once every party of the barrier is connected: requests that arrive at the same moment."""
    parts = urlsplit(base_url)
    headers = {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF}
    if json_body is not None:
        body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
    else:
        body, headers["Content-Type"] = urlencode(form or {}).encode(), "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        if barrier is not None:
            connection.connect()
            barrier.wait(timeout=timeout)
        connection.request("POST", path, body=body, headers=headers)
        reply = connection.getresponse()
        return Reply(reply.status, reply.getheader("Location", ""), reply.read())
    finally:
        connection.close()
