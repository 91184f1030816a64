"""One writer at a time per process on SQLite.

SQLite allows one writer for the whole database; under ASGI each request runs in its own thread, so
concurrent autosaves queue in SQLite's busy handler, which sleeps with back-off (measured: waits of up to
2 s at 32 participants, a "database is locked" at 200). Queueing writers on a process lock instead wakes
the next one as soon as the previous commits. PostgreSQL has row locks and needs none of this.
"""

import threading
from contextlib import contextmanager

from django.db import connection

_SQLITE_WRITES = threading.Lock()


@contextmanager
def serialised_writes():
    """Wrap a short write transaction; a no-op outside SQLite."""
    if connection.vendor != "sqlite":
        yield
        return
    with _SQLITE_WRITES:
        yield
