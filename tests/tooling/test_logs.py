"""Log lines (contest_site/logs.py): a request id answered in a header, one JSON line per request with its
id, user, route and duration in production, and server errors mailed to ADMINS."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from contest_site.logs import JsonFormatter, RequestContextFilter

ROOT = Path(__file__).resolve().parents[2]


def _request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "contest_site.requests"]


def test_the_formatter_writes_one_json_object_with_the_request_fields():
    record = logging.LogRecord("contest_site.requests", logging.INFO, __file__, 1, "request", None, None)
    for key, value in {"request_id": "abc12345", "user_id": 7, "method": "GET", "route": "api/v1/events/",
                       "status": 200, "duration_ms": 12.5}.items():  # fmt: skip
        setattr(record, key, value)
    line = json.loads(JsonFormatter().format(record))
    assert set(line) == {"time", "level", "logger", "message", "request_id", "user_id", "method", "route",
                         "status", "duration_ms"}  # fmt: skip
    assert line["level"] == "INFO" and line["route"] == "api/v1/events/" and line["duration_ms"] == 12.5
    assert line["time"].endswith("+00:00")


def test_the_formatter_keeps_tracebacks_and_vietnamese_on_one_line():
    try:
        raise ValueError("hỏng")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "lỗi %s", ("đây",), sys.exc_info())
    text = JsonFormatter().format(record)
    assert "\n" not in text and "lỗi đây" in text
    assert "ValueError: hỏng" in json.loads(text)["exception"]


@pytest.mark.django_db
def test_every_request_gets_an_id_and_a_line_with_route_user_and_duration(client, caplog, participant):
    caplog.set_level(logging.INFO, logger="contest_site.requests")
    response = client.get(reverse("api_events"))
    request_id = response["X-Request-ID"]
    [line] = _request_lines(caplog)
    assert line.request_id == request_id and len(request_id) == 32
    assert (line.method, line.route, line.status, line.user_id) == ("GET", "api/v1/events/", 200, None)
    assert line.duration_ms >= 0

    caplog.clear()
    client.force_login(participant)
    client.get(reverse("home"), headers={"X-Request-ID": "nginx-0123456789abcdef"})
    [line] = _request_lines(caplog)
    assert line.request_id == "nginx-0123456789abcdef", "the proxy's id is kept, to join the two logs"
    assert line.user_id == participant.pk

    caplog.clear()
    response = client.get(reverse("home"), headers={"X-Request-ID": "<script>\n"})
    assert response["X-Request-ID"] != "<script>\n", "an implausible id is replaced"


def test_records_logged_during_a_request_carry_its_id():
    from contest_site import logs

    token = logs._current.set({"request_id": "r-12345678", "user_id": 3})
    try:
        record = logging.LogRecord("quizzes", logging.WARNING, __file__, 1, "late", None, None)
        RequestContextFilter().filter(record)
    finally:
        logs._current.reset(token)
    assert (record.request_id, record.user_id) == ("r-12345678", 3)
    outside = logging.LogRecord("quizzes", logging.WARNING, __file__, 1, "late", None, None)
    RequestContextFilter().filter(outside)
    assert not hasattr(outside, "request_id")


def test_production_logs_json_lines_and_mails_server_errors_to_admins(tmp_path):
    """Under the production settings (no SMTP: Django prints the mail), a server error is one JSON line on
    stderr and a mail to each of ADMINS."""
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.request').error('Internal Server Error: /boom/', exc_info=ValueError('x'))"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "contest_site.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://contest:secret@127.0.0.1:9/contest",  # never reached
        "STATIC_ROOT": str(tmp_path),
        "ADMINS": "Quản trị <admin@example.vn>, ops@example.vn",
    }
    environment.pop("EMAIL_HOST", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stderr.splitlines() if text.startswith("{")]
    assert (line["level"], line["logger"], line["message"]) == (
        "ERROR",
        "django.request",
        "Internal Server Error: /boom/",
    )
    assert "To: admin@example.vn, ops@example.vn" in result.stdout
    assert "Internal Server Error: /boom/" in result.stdout
