"""The submissions app's data: entries and their recordings (``entries``), and their judging (``judging``)."""

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
from .judging import (
    Assignment,
    Criterion,
    CriterionMark,
    JudgeInvitation,
    JudgeScore,
    RoundJudge,
    Stages,
    new_invitation_token,
)
from .resumable import ResumableUpload, new_upload_key, resumable_folder

__all__ = [
    "MB",
    "Assignment",
    "Criterion",
    "CriterionMark",
    "Entry",
    "EntryVersion",
    "JudgeInvitation",
    "JudgeScore",
    "ReadingRound",
    "ResumableUpload",
    "RoundJudge",
    "Stages",
    "Vote",
    "media_path",
    "new_invitation_token",
    "new_token",
    "new_upload_key",
    "original_path",
    "poster_path",
    "resumable_folder",
]
