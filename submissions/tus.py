"""The tus 1.0 door: resumable uploads at ``/uploads/``, answered before Django (routed in contest_site/asgi.py).

Why a raw ASGI application and not a Django view: Django's ASGI handler reads a request's whole body before
any view runs, and channels' ``AsyncHttpConsumer`` collects it into one bytes object. A PATCH here is written
to the upload's file one ASGI message at a time, so a process receiving five 8 MiB chunks holds five
messages in memory, not 40 MiB. Under a server that streams request bodies to the application as they arrive,
a connection that drops mid-chunk leaves the bytes received on disk, counted; under our daphne entry point
(contest_site/serve.py) Twisted receives a body whole before the application runs, so a chunk cut mid-way
is lost whole and sent again from the last committed offset (at most 5 MiB from the browser).

Protocol: https://tus.io/protocols/resumable-upload (core, creation, creation-defer-length, termination,
expiration). Every decision is a service of ``submissions.resumable``; this module parses headers, checks
who is asking (the session cookie, CSRF by double submit as the autosave door does) and moves bytes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import time
from email.utils import format_datetime

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import Max
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contest_site.doors import same_origin, scope_cookies, session_and_user
from contests.invites import invite_codes

from . import resumable, selectors
from .media_probe import MediaRejected
from .models import MB, ReadingRound, ResumableUpload

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,creation-defer-length,termination,expiration"
OFFSET_STREAM = "application/offset+octet-stream"
UNSAFE = ("POST", "PATCH", "DELETE")
RENEW_EVERY_S = 15  # < PATCH_LEASE: a PATCH that keeps receiving keeps its lease
IDLE_TIMEOUT_S = 30  # a PATCH that receives nothing for this long ends with what it has (a phone went away)


class _Request:
    """What the door needs of an HTTP scope: method, headers by lower-case name, cookies, language."""

    def __init__(self, scope):
        self.scope = scope
        self.headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        method = scope["method"].upper()
        override = self.headers.get("x-http-method-override", "").upper()
        # Some proxies and old browsers only pass GET and POST; tus clients can tunnel the others (tus §4).
        self.method = override if method == "POST" and override in ("PATCH", "DELETE") else method
        self.cookies = scope_cookies(scope)
        language = self.cookies.get(settings.LANGUAGE_COOKIE_NAME, settings.LANGUAGE_CODE)
        self.language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def csrf_ok(self) -> bool:
        """Double submit: the X-CSRFToken header equals the csrftoken cookie, which another site can neither
        read nor set; and a browser's Origin, when sent, is this site."""
        header = self.headers.get("x-csrftoken", "")
        cookie = self.cookies.get(settings.CSRF_COOKIE_NAME, "")
        same = secrets.compare_digest(header.encode("latin-1"), cookie.encode("latin-1", "replace"))
        return bool(cookie) and same and same_origin(self.scope)


class _Reply(Exception):
    """A finished answer, raised from anywhere in the handling of a request."""

    def __init__(self, status: int, message: str = "", headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _integer(value: str | None) -> int | None:
    """A non-negative decimal integer as tus writes them, else None (no signs, spaces or exponents)."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def parse_metadata(value: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64(value)`` pairs (the value may be absent). Raise
    ValueError on anything else: keys unique, ASCII without spaces or commas, values valid base64."""
    pairs: dict[str, str] = {}
    for item in value.split(","):
        parts = item.strip().split(" ")
        if not parts[0] or len(parts) > 2 or parts[0] in pairs or not parts[0].isascii():
            raise ValueError("bad metadata pair")
        try:
            pairs[parts[0]] = base64.b64decode(parts[1], validate=True).decode() if len(parts) == 2 else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError("bad metadata value") from exc
    return pairs


def format_metadata(pairs: dict[str, str]) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in pairs.items())


def _upload_headers(upload: ResumableUpload) -> dict[str, str]:
    headers = {"Upload-Offset": str(upload.offset), "Upload-Expires": format_datetime(upload.expires_at, usegmt=True)}
    if upload.length is None:
        headers["Upload-Defer-Length"] = "1"
    else:
        headers["Upload-Length"] = str(upload.length)
    return headers


class TusEndpoint:
    """ASGI application of ``/uploads/`` (creation) and ``/uploads/<key>`` (one upload)."""

    async def __call__(self, scope, receive, send):
        request = _Request(scope)
        key = scope.get("url_route", {}).get("kwargs", {}).get("key")
        with translation.override(request.language):
            try:
                status, headers = await self._handle(request, key, receive)
                message = ""
            except _Reply as reply:
                status, headers, message = reply.status, reply.headers, reply.message
        if status is None:  # the client went away: nobody to answer
            return
        await self._send(send, request, status, headers, message)

    async def _send(self, send, request: _Request, status: int, headers: dict, message: str) -> None:
        body = message.encode() if message and request.method != "HEAD" else b""
        base = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", "Content-Language": request.language}
        if body:
            base["Content-Type"] = "text/plain; charset=utf-8"
        if request.method != "HEAD" and status != 204:  # a 204 carries no Content-Length (RFC 9110)
            base["Content-Length"] = str(len(body))
        merged = {**base, **headers}
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in merged.items()],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, request: _Request, key: str | None, receive) -> tuple[int | None, dict]:
        if request.method == "OPTIONS":
            return 204, await self._options()
        if request.header("tus-resumable") != TUS_VERSION:
            raise _Reply(412, _("This server speaks tus 1.0.0."), {"Tus-Version": TUS_VERSION})
        allowed = ("POST",) if key is None else ("HEAD", "PATCH", "DELETE")
        if request.method not in allowed:
            raise _Reply(405, _("Method not allowed."), {"Allow": ", ".join(("OPTIONS", *allowed))})
        session, user = await session_and_user(request.cookies)
        if not user.is_authenticated:
            raise _Reply(401, _("Sign in to send a recording."))
        if request.method in UNSAFE and not request.csrf_ok():
            raise _Reply(403, _("Reload the page: your session has expired."))
        if request.method == "POST":
            return await self._create(request, user, session)
        upload = await database_sync_to_async(self._owned)(user, key)
        if request.method == "HEAD":
            headers = _upload_headers(upload)
            headers["Upload-Metadata"] = await database_sync_to_async(self._metadata)(upload)
            return 200, headers
        if request.method == "DELETE":
            try:
                await database_sync_to_async(resumable.resumable_delete)(upload=upload)
            except resumable.UploadLocked:
                raise _Reply(423, _("This file is being sent or attached by another request.")) from None
            return 204, {}
        return await self._patch(request, upload, receive)

    # --- OPTIONS, POST, HEAD ----------------------------------------------------------------------

    async def _options(self) -> dict:
        largest = await database_sync_to_async(lambda: ReadingRound.objects.aggregate(m=Max("max_size_mb"))["m"])()
        headers = {"Tus-Version": TUS_VERSION, "Tus-Extension": EXTENSIONS}
        if largest:
            headers["Tus-Max-Size"] = str(largest * MB)
        return headers

    async def _create(self, request: _Request, user, session) -> tuple[int, dict]:
        length = _integer(request.header("upload-length"))
        deferred = request.header("upload-defer-length")
        if (length is None) == (deferred is None) or (deferred is not None and deferred != "1"):
            raise _Reply(400, _("Send Upload-Length, or Upload-Defer-Length: 1."))
        try:
            metadata = parse_metadata(request.header("upload-metadata") or "")
        except ValueError:
            raise _Reply(400, _("Upload-Metadata could not be read.")) from None
        round_id, entry_id = _integer(metadata.get("round")), metadata.get("entry")
        if round_id is None or not metadata.get("filename") or (entry_id is not None and _integer(entry_id) is None):
            raise _Reply(400, _("Upload-Metadata must name the file (filename) and the round (round)."))

        def create():
            with translation.override(request.language):
                return resumable.resumable_create(
                    user=user,
                    round_id=round_id,
                    invite_codes=invite_codes(session),
                    filename=metadata["filename"],
                    length=length,
                    entry_id=_integer(entry_id) if entry_id is not None else None,
                )

        try:
            upload = await database_sync_to_async(create)()
        except resumable.UploadRefused as refused:
            raise _Reply(refused.status, refused.message) from None
        headers = _upload_headers(upload)
        del headers["Upload-Offset"]
        return 201, {"Location": upload.location, **headers}

    @staticmethod
    def _owned(user, key: str) -> ResumableUpload:
        try:
            return selectors.access_resumable_for_owner(user=user, key=key, now=timezone.now())
        except Http404:
            raise _Reply(404, _("No such upload: it may have expired.")) from None

    @staticmethod
    def _metadata(upload: ResumableUpload) -> str:
        pairs = {"filename": upload.filename, "round": str(upload.reading_round.round_id)}
        if upload.entry_id:
            pairs["entry"] = str(upload.entry_id)
        return format_metadata(pairs)

    # --- PATCH --------------------------------------------------------------------------------------

    async def _patch(self, request: _Request, upload: ResumableUpload, receive) -> tuple[int | None, dict]:
        if (request.header("content-type") or "").split(";")[0].strip().lower() != OFFSET_STREAM:
            raise _Reply(415, _("Send the bytes as application/offset+octet-stream."))
        offset = _integer(request.header("upload-offset"))
        if offset is None:
            raise _Reply(400, _("Send Upload-Offset."))
        declared = request.header("content-length")
        declared_length = _integer(declared) if declared is not None else None
        if declared is not None and declared_length is None:
            raise _Reply(400, _("Content-Length could not be read."))
        if declared_length is not None and declared_length > resumable.MAX_CHUNK:
            raise _Reply(413, _("Send at most %(mb)s MB per request.") % {"mb": resumable.MAX_CHUNK // MB})
        if offset != upload.offset:
            raise _Reply(409, _("The offset does not match: ask for it again (HEAD)."), _upload_headers(upload))
        new_length = self._declared_length(request, upload)
        limit = new_length if new_length is not None else upload.reading_round.max_bytes
        if declared_length is not None and offset + declared_length > limit:
            raise _Reply(413, self._too_big_message(upload, new_length))
        try:
            token = await database_sync_to_async(resumable.resumable_lease)(
                upload=upload, duration=resumable.PATCH_LEASE
            )
        except resumable.UploadLocked:
            raise _Reply(423, _("This file is being sent or attached by another request.")) from None
        except resumable.OffsetMoved:
            fresh = await database_sync_to_async(ResumableUpload.objects.get)(pk=upload.pk)
            raise _Reply(
                409, _("The offset does not match: ask for it again (HEAD)."), _upload_headers(fresh)
            ) from None
        return await self._stream(request, upload, token, receive, limit, new_length)

    @staticmethod
    def _declared_length(request: _Request, upload: ResumableUpload) -> int | None:
        """The upload's length: known since creation, or declared now by a deferred upload (once only)."""
        header = request.header("upload-length")
        if header is None or upload.length is not None:
            if header is not None and _integer(header) != upload.length:
                raise _Reply(400, _("The upload's length cannot change."))
            return upload.length
        length = _integer(header)
        if length is None or length < upload.offset:
            raise _Reply(400, _("Upload-Length could not be read."))
        if length > upload.reading_round.max_bytes:
            raise _Reply(413, MediaRejected("too_big", limit=upload.reading_round.max_size_mb).message)
        return length

    @staticmethod
    def _too_big_message(upload: ResumableUpload, length: int | None) -> str:
        if length is not None and length < upload.reading_round.max_bytes:
            return _("These bytes go past the end of the file.")
        return MediaRejected("too_big", limit=upload.reading_round.max_size_mb).message

    async def _stream(
        self, request: _Request, upload: ResumableUpload, token: str, receive, limit: int, new_length: int | None
    ) -> tuple[int | None, dict]:
        """Append the body to the file one ASGI message at a time, then sync it and commit the new offset.

        Whatever ends the body — its end, a disconnect, silence, too many bytes — the bytes written so far
        are synced and committed: that is what a resuming client's HEAD will be told."""
        loop = asyncio.get_running_loop()
        try:
            handle = await loop.run_in_executor(None, lambda: resumable.resumable_open_for_append(upload=upload))
        except resumable.BytesLost:  # its partial file was on a host that is gone: start again from 0
            fresh = await database_sync_to_async(resumable.resumable_restart)(upload=upload, token=token)
            message = _("The offset does not match: ask for it again (HEAD).")
            raise _Reply(409, message, _upload_headers(fresh)) from None
        except BaseException:
            await database_sync_to_async(resumable.resumable_release)(upload=upload, token=token)
            raise
        written, outcome, renewed = upload.offset, "done", time.monotonic()
        try:
            while True:
                try:
                    message = await asyncio.wait_for(receive(), IDLE_TIMEOUT_S)
                except TimeoutError:
                    outcome = "idle"
                    break
                if message["type"] == "http.disconnect":
                    outcome = "gone"
                    break
                chunk, more = message.get("body", b""), message.get("more_body", False)
                room = min(limit - written, upload.offset + resumable.MAX_CHUNK - written)
                if len(chunk) > room:
                    chunk, outcome = chunk[: max(room, 0)], "too_big"
                if chunk:
                    await loop.run_in_executor(None, handle.write, chunk)
                    written += len(chunk)
                del chunk, message  # one message in memory at a time
                if outcome == "too_big":
                    break
                if time.monotonic() - renewed > RENEW_EVERY_S:
                    if not await database_sync_to_async(resumable.resumable_renew)(upload=upload, token=token):
                        outcome = "lost"
                        break
                    renewed = time.monotonic()
                if not more:
                    break
        except BaseException:
            await loop.run_in_executor(None, handle.close)
            await database_sync_to_async(resumable.resumable_release)(upload=upload, token=token)
            raise
        size = await loop.run_in_executor(None, resumable.resumable_sync_and_close, handle)
        if outcome == "lost":  # someone else holds the upload now: record nothing
            raise _Reply(423, _("This file is being sent or attached by another request."))
        try:
            committed = await database_sync_to_async(resumable.resumable_commit)(
                upload=upload, token=token, offset=size, length=new_length
            )
        except BaseException:  # never leave the lease held by a request that failed to record its bytes
            await database_sync_to_async(resumable.resumable_release)(upload=upload, token=token)
            raise
        if committed is None:
            raise _Reply(423, _("This file is being sent or attached by another request."))
        if outcome == "gone":
            return None, {}
        if outcome == "too_big":
            raise _Reply(413, self._too_big_message(upload, new_length), _upload_headers(committed))
        if outcome == "idle":
            raise _Reply(408, _("The connection went silent."), _upload_headers(committed))
        headers = _upload_headers(committed)
        return 204, {"Upload-Offset": headers["Upload-Offset"], "Upload-Expires": headers["Upload-Expires"]}
