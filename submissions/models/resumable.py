"""Resumable uploads (tus 1.0): a file sent in pieces over an unreliable network, before it becomes an entry.

A phone on a mobile network loses its connection in the middle of a 200 MB video; with a single POST the
participant starts again from zero. A ``ResumableUpload`` is the server's memory of one such file: who sends
it, for which round, how long it will be, and how many of its bytes are safely on disk (``offset``). The
bytes themselves live in a private folder (``resumable_folder``), never served; once the upload is complete
the entry form attaches it, and from there it is probed and processed exactly like a posted file.

The lease (``lease_token`` + ``lease_until``) makes one request at a time the writer of an upload: a PATCH
streaming its chunk, or an entry form attaching it. A row lock would do the same for a short write, but a
PATCH of 8 MiB over a slow network lasts minutes, and SQLite's single writer cannot wait that long.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .entries import ReadingRound


def new_upload_key() -> str:
    """The upload's name in its URL: random and unguessable (the URL alone is not an authorisation, but it
    should not let anyone count or enumerate uploads either)."""
    return secrets.token_urlsafe(24)


def resumable_folder() -> Path:
    """Where partial uploads are appended: a private folder of MEDIA_ROOT (``TUS_UPLOAD_DIR`` overrides it).

    Read when called, never at import time. It must be a local disk: chunks are appended in place."""
    override = getattr(settings, "TUS_UPLOAD_DIR", "")
    return Path(override) if override else Path(settings.MEDIA_ROOT) / "resumable"


class ResumableUpload(models.Model):
    key = models.CharField(max_length=40, unique=True, default=new_upload_key, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resumable_uploads")
    reading_round = models.ForeignKey(ReadingRound, on_delete=models.CASCADE, related_name="resumable_uploads")
    entry = models.ForeignKey(
        "Entry", null=True, blank=True, on_delete=models.CASCADE, related_name="resumable_uploads"
    )  # set when the upload replaces the recording of this entry (metadata ``entry``)
    filename = models.CharField(max_length=200, blank=True)
    length = models.PositiveBigIntegerField(null=True, blank=True)  # None: deferred (recording while uploading)
    offset = models.PositiveBigIntegerField(default=0)  # bytes on disk, flushed and synced
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(length__isnull=True) | Q(offset__lte=F("length")), name="resumable_offset_within_length"
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="resumable_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.filename or self.key} ({self.offset}/{self.length if self.length is not None else '?'})"

    @property
    def path(self) -> Path:
        return resumable_folder() / self.key

    @property
    def stored_name(self) -> str:
        """Its name in the media storage once finished, on object storage (``resumable.resumable_commit``)."""
        return f"resumable/{self.key}"

    @property
    def location(self) -> str:
        return f"/uploads/{self.key}"

    @property
    def is_finished(self) -> bool:
        return self.length is not None and self.offset == self.length

    def is_expired(self, now: dt.datetime) -> bool:
        return now >= self.expires_at

    def is_leased(self, now: dt.datetime) -> bool:
        return bool(self.lease_token) and self.lease_until is not None and self.lease_until > now
