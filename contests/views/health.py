"""``GET /healthz``: is every part this process depends on answering? JSON, 200 when all are, else 503."""

import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django_tasks_db.models import DBTaskResult


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _check_channel_layer() -> dict:
    """Send a message to a fresh channel and read it back: proves the layer (Redis or memory) carries messages."""
    layer = get_channel_layer()

    async def round_trip():
        channel = await layer.new_channel()
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "health.ping", "token": token})
        message = await layer.receive(channel)
        return message.get("token") == token

    if not async_to_sync(round_trip)():
        raise RuntimeError("message lost")
    return {"backend": type(layer).__name__}


def _check_job_queue() -> dict:
    ready = DBTaskResult.objects.filter(status="READY").count()
    return {"backend": "database", "ready": ready}


def _check_media_storage() -> dict:
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as handle:
            if handle.read() != b"ok":
                raise RuntimeError("read back differs")
    finally:
        default_storage.delete(name)
    return {"backend": type(storages["default"]).__name__}


CHECKS = {
    "database": _check_database,
    "channel_layer": _check_channel_layer,
    "job_queue": _check_job_queue,
    "media_storage": _check_media_storage,
}


@never_cache
def healthz(request):
    report, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            report[name] = {"ok": True, **check()}
        except Exception as exc:  # a health check reports every failure instead of raising it
            healthy = False
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        report[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return JsonResponse({"ok": healthy, "checks": report}, status=200 if healthy else 503)
