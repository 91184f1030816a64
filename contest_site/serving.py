"""Sending a stored file to someone a view has already authorised: whole (200), a byte range (206) so that
players can seek, or 416 for a range outside the file; or, in production, a hand-off to nginx.

Every media view of every app (recordings, posters, banners, question and forum images) ends in
``media_response``, so that the hand-off applies to all of them.

Hand-off: with ``settings.MEDIA_X_ACCEL_PREFIX`` set (e.g. ``"/_protected/"``) the response is empty and
carries ``X-Accel-Redirect: /_protected/<storage name>``; nginx, whose ``internal`` location of that
prefix aliases MEDIA_ROOT, then serves the bytes itself, ranges included (docs/submissions.md).

Object storage (``MEDIA_S3_BUCKET``, docs/deployment.md): the file is not on this host, so the answer is a
302 to a short-lived signed URL of the bucket (``contest_site.media_storage.signed_url``) — the permission
check stays here, the bytes (and Range requests, hence seeking) are the bucket's work, on any app host.

Why not FileResponse: under ASGI Django drains a *synchronous* streaming body into a list before sending
it — a whole video in memory per viewer. The body here is an async iterator under ASGI and a sync one
under WSGI, so each server streams it in 64 KB chunks.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import parse_etags

from contest_site.media_storage import content_disposition, is_local, signed_url

CHUNK = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Unsatisfiable(Exception):
    """The range lies outside the file: answer 416 with the file's size."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte asked for, inclusive; None to send the whole file.

    RFC 9110 §14.2: a malformed header is ignored (200); several ranges may be answered with the whole
    file (players ask for one); a range starting past the end is unsatisfiable (416).
    """
    match = RANGE.match((header or "").strip())
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # "bytes=-500": the last 500 bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None  # invalid: ignore the header
    if start >= size:
        raise Unsatisfiable
    return start, end


def _etag(name: str, size: int) -> str:
    """Stored names are generated and never reused, so name and size identify the content."""
    return '"' + hashlib.sha256(f"{name}:{size}".encode()).hexdigest()[:32] + '"'


def _read_chunks(handle, start: int, length: int):
    handle.seek(start)
    left = length
    try:
        while left > 0:
            data = handle.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data
    finally:
        handle.close()


async def _async_chunks(chunks):
    """Pull a blocking iterator from a worker thread, chunk by chunk, so the event loop never waits on disk."""
    pull = sync_to_async(lambda: next(chunks, None), thread_sensitive=False)
    try:
        while (chunk := await pull()) is not None:
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            await sync_to_async(close, thread_sensitive=False)()


def streaming_response(request, chunks, **kwargs) -> StreamingHttpResponse:
    """A streaming response whose body suits the server: async iterator under ASGI, sync under WSGI.

    ``chunks`` must not touch the database (it may run in any thread).
    """
    asynchronous = hasattr(request, "scope")  # ASGIRequest
    return StreamingHttpResponse(_async_chunks(chunks) if asynchronous else chunks, **kwargs)


def _accel_response(field_file, *, content_type: str, prefix: str) -> HttpResponse:
    response = HttpResponse(content_type=content_type)
    response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(field_file.name)
    response["X-Accel-Buffering"] = "no"
    return response


def media_response(
    request, field_file, *, content_type: str = "", filename: str = "", cache_control: str = "private, max-age=3600"
) -> HttpResponse:
    """Serve ``field_file`` (any Django storage) to a request that passed its permission check.

    Without ``content_type`` the type is guessed from the stored name, which the app generates (images are
    re-encoded on upload, so the extension tells the truth). Anything but pictures, sound and video is sent
    as a download (``media_storage.content_disposition``), on the disk and from the bucket alike.
    """
    content_type = content_type or mimetypes.guess_type(field_file.name)[0] or "application/octet-stream"
    if not is_local(field_file.storage):
        return _signed_redirect(field_file, content_type=content_type, filename=filename, cache_control=cache_control)
    prefix = getattr(settings, "MEDIA_X_ACCEL_PREFIX", "")
    if prefix:
        response = _accel_response(field_file, content_type=content_type, prefix=prefix)
    else:
        response = _django_response(request, field_file, content_type=content_type)
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    disposition = content_disposition(content_type=content_type, filename=filename, name=field_file.name)
    if disposition:
        response["Content-Disposition"] = disposition
    return response


def _signed_redirect(field_file, *, content_type: str, filename: str, cache_control: str) -> HttpResponse:
    """302 to the bucket. The redirect itself is never cached: the URL it names expires in minutes."""
    url = signed_url(field_file, content_type=content_type, filename=filename, cache_control=cache_control)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _django_response(request, field_file, *, content_type: str) -> HttpResponse:
    size = field_file.storage.size(field_file.name)
    etag = _etag(field_file.name, size)
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    if_range = request.headers.get("If-Range")
    try:
        wanted = parse_range(request.headers.get("Range"), size) if if_range in (None, etag) else None
    except Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    start, end = wanted if wanted else (0, size - 1)
    length = max(0, end - start + 1)
    status = 206 if wanted else 200
    if request.method == "HEAD":  # headers only: never open (or, on object storage, fetch) the file
        response = HttpResponse(content_type=content_type, status=status)
    else:
        chunks = _read_chunks(field_file.storage.open(field_file.name, "rb"), start, length)
        response = streaming_response(request, chunks, content_type=content_type, status=status)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response
