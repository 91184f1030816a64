"""The submissions app's data: entries and their recordings (``entries``) and resumable uploads (``resumable``);
judging lives in the ``judging`` app."""

from .entries import (
    MB,
    Entry,
    EntryVersion,
    ReadingRound,
    Vote,
    media_path,
    new_token,
    original_path,
    poster_path,
)
from .resumable import ResumableUpload, new_upload_key, resumable_folder

__all__ = [
    "MB",
    "Entry",
    "EntryVersion",
    "ReadingRound",
    "ResumableUpload",
    "Vote",
    "media_path",
    "new_token",
    "new_upload_key",
    "original_path",
    "poster_path",
    "resumable_folder",
]
