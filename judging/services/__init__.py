"""Every write of judging: settings and rubric, the panel and its invitations, assignments, judges' scores,
conflicts, stages and finalisation.

One clock: services take ``now`` so that every check in a request agrees. The rules of the judging window:
judges score from ``judging_opens_at`` (or, without it, as entries arrive) until ``judging_closes_at`` or
finalisation, whichever comes first, and only in the round's current stage. Finalising — by an organiser,
or by ``judging_sweep`` at the end of the window when the round says so — records each author's final
score through ``leaderboard.services.score_record`` and sets the board's ranking chain.

The package re-exports the public services so that ``from judging import services`` callers keep working;
each concern lives in its own module (common, rubric, assignments, panel, scores, reminders, finalisation),
which imports only the modules it builds on, never this ``__init__``.
"""

from .assignments import assignment_add, assignment_withdraw, assignments_fill, extra_judge_add
from .common import JudgingError
from .finalisation import (
    BOARD_CHAIN,
    finalise_problems,
    judging_finalise,
    judging_sweep,
    recompute_round,
    shortlist_close,
)
from .panel import invitation_accept, invitation_withdraw, judge_invite, judge_remove, judge_update, panel_problems
from .reminders import reminders_send
from .rubric import JUDGING_FIELDS, judging_configure, rubric_save
from .scores import conflict_declare, score_save, scoring_problems

__all__ = [
    "BOARD_CHAIN",
    "JUDGING_FIELDS",
    "JudgingError",
    "assignment_add",
    "assignment_withdraw",
    "assignments_fill",
    "conflict_declare",
    "extra_judge_add",
    "finalise_problems",
    "invitation_accept",
    "invitation_withdraw",
    "judge_invite",
    "judge_remove",
    "judge_update",
    "judging_configure",
    "judging_finalise",
    "judging_sweep",
    "panel_problems",
    "recompute_round",
    "reminders_send",
    "rubric_save",
    "score_save",
    "scoring_problems",
    "shortlist_close",
]
