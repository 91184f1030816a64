"""The process's single writer thread: the hottest writes of a contest go through it.

Who uses it: the autosave door (``quizzes.autosave``, every answer of every participant), the live game's
joins, answers and host commands (``live.consumers``). Why one thread: on SQLite a second writer only waits
in SQLite's busy handler, so writers queueing here cost nothing and never meet "database is locked"; on
PostgreSQL one connection kept by this thread for the life of the process saves a pool checkout and return
per write (0.3-0.8 ms, as much as an autosave's own statements). Measured in bench/quiz_submit.py and
bench/live_round.py (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor

from django.db import InterfaceError, OperationalError, connection

writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer")


def on_writer(function):
    """``function`` as a coroutine that runs on the process's writer thread. Its database connection is kept
    between calls; a connection broken by a database restart is reopened once."""

    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (OperationalError, InterfaceError):
            connection.close()
            return function(*args, **kwargs)

    async def on_the_writer(*args, **kwargs):
        # The executor directly, not asgiref's sync_to_async: no context copying or thread-sensitivity
        # bookkeeping on the hottest path (the functions sent here set their own language).
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(writer_thread, functools.partial(guarded, *args, **kwargs))

    return on_the_writer
