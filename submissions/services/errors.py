"""The refusals the submission services raise, in one module that the others import."""

from __future__ import annotations

from contest_site import ratelimit


class EntryError(Exception):
    """A refusal the participant should read (window closed, quota used, not eligible…)."""


class WorkerLost(Exception):
    """The worker stopped (killed, machine restarted) while it held the job."""

    def __init__(self, message: str = "the worker stopped while processing"):
        super().__init__(message)


class VoteError(Exception):
    """A vote that cannot count, with the reason in the voter's language."""


class VoteLimited(VoteError, ratelimit.RateLimited):
    """Too many votes in a short time: the view answers 429."""
