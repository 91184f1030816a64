"""The mechanics of group commit (contest_site/group_commit.py), with a store that records its calls."""

import asyncio
import time

from contest_site.group_commit import GroupCommit


def test_what_fills_while_the_writer_is_busy_is_written_max_batch_at_a_time():
    """A batch that grew past max_batch while the previous one was written goes to the store in slices of
    max_batch (no transaction holds more rows than that), and every caller gets its own outcome."""
    calls: list[list[int]] = []

    def store(_context, items):
        calls.append(list(items))
        time.sleep(0.05)  # the writer is busy while the next batch fills
        return [item * 10 for item in items]

    async def rush():
        commit = GroupCommit(store, tick_s=0.01, max_batch=3)
        first = [asyncio.ensure_future(commit.submit("k", None, n)) for n in range(3)]  # full: written at once
        await asyncio.sleep(0.01)
        later = [asyncio.ensure_future(commit.submit("k", None, n)) for n in range(3, 10)]  # 7 while busy
        return await asyncio.gather(*first, *later)

    outcomes = asyncio.run(rush())
    assert outcomes == [n * 10 for n in range(10)]
    assert calls[0] == [0, 1, 2] and all(len(call) <= 3 for call in calls)
    assert sorted(n for call in calls for n in call) == list(range(10))
