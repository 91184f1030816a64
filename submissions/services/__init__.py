"""Every write of the submissions app: round settings, entries and their versions, processing, moderation, votes.

One clock: services take ``now`` so that every check in a request agrees. The file a participant sends is
probed before anything is stored (a refused file changes nothing); an accepted one is stored under a
generated name and processed by a background job (``tasks.process_entry_version``) that is retried, then
marked failed with its reason. Jobs live in the database, so they survive a restart. A worker that dies
mid-job (killed, machine restarted) is another matter: django-tasks-db never looks at a job again once a
worker claimed it, so the job stays "running" for ever. Hence a lease: the job renews it while it works, and
``versions_sweep`` (``manage.py sweep_entries``) takes over a version whose lease ran out — minutes, not
hours, after its worker died. The transcode itself runs in a child process under a time budget
(``media_transcode.transcode_in_child``), so a job always ends and its lease never needs a cap of its own.

The package re-exports the public services so that ``from submissions import services`` callers keep
working; each concern lives in its own module (errors, reading_rounds, entries, processing, moderation,
votes), which imports only the modules it builds on, never this ``__init__``. Tests that change a module
constant or the transcode patch the module that reads it (``services.processing``, ``services.votes``).
"""

from .entries import (
    entry_create,
    entry_create_problems,
    entry_problems,
    entry_replace,
    entry_update,
    media_accept,
    media_limits,
    quota_left,
)
from .errors import EntryError, VoteError, VoteLimited, WorkerLost
from .moderation import MODERATION_ACTIONS, entries_moderate, entries_requeue_failed
from .processing import (
    LEASE_RENEW_S,
    MAX_ATTEMPTS,
    POSTER_SIZE,
    PROCESSING_LEASE,
    REQUEUEABLE,
    RETRY_AFTER,
    transcode_budget_s,
    version_enqueue,
    version_process,
    version_requeue,
    versions_sweep,
)
from .reading_rounds import FIXED_AFTER_JUDGING, reading_round_configure
from .votes import VOTES_PER_MINUTE, vote_cast, vote_problems

__all__ = [
    "FIXED_AFTER_JUDGING",
    "LEASE_RENEW_S",
    "MAX_ATTEMPTS",
    "MODERATION_ACTIONS",
    "POSTER_SIZE",
    "PROCESSING_LEASE",
    "REQUEUEABLE",
    "RETRY_AFTER",
    "VOTES_PER_MINUTE",
    "EntryError",
    "VoteError",
    "VoteLimited",
    "WorkerLost",
    "entries_moderate",
    "entries_requeue_failed",
    "entry_create",
    "entry_create_problems",
    "entry_problems",
    "entry_replace",
    "entry_update",
    "media_accept",
    "media_limits",
    "quota_left",
    "reading_round_configure",
    "transcode_budget_s",
    "version_enqueue",
    "version_process",
    "version_requeue",
    "versions_sweep",
    "vote_cast",
    "vote_problems",
]
