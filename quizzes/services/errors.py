"""The refusals every quiz service may raise: one module that every other imports, so none imports another
just for an exception class.
"""

from __future__ import annotations


class QuizError(Exception):
    """A refusal the participant or organiser should read (window closed, quota used, attempt closed…)."""


class LateSubmission(QuizError):
    """The submit arrived after deadline + grace: the attempt was closed at its deadline, the late part refused."""
