"""The project's ASGI app for one fault test: the process dies (``os._exit``, as abruptly as SIGKILL) right
after its first batch of live answers has committed, before any phone of the batch is acknowledged. Its tick
is long (0.5 s) so that answers sent together land in that one batch. Used only by
tests/faults/test_live_killed_after_commit.py; production never sets ``answer_batch.after_commit``."""

import os

from contest_site.asgi import application
from live import answer_batch

answer_batch.TICK_S = 0.5


def _die(answers) -> None:
    os._exit(17)


answer_batch.after_commit = _die

__all__ = ["application"]
