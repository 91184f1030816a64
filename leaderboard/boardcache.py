"""Board aggregates cached with invalidation on score writes, refreshed at most every ``REFRESH_S``.

A scope (an event's unit boards, a round's points histogram) has a version in the cache; the score
writers mark it changed after commit (``mark_changed``). A cached value is served while its scope did not
change, or while it is younger than ``REFRESH_S`` (during a deadline rush scores arrive every few
milliseconds: readers then get the value as it was up to ``REFRESH_S`` ago, and the aggregate is computed
once per period instead of once per reader), and never once older than ``TTL_S`` (which bounds changes
that mark nothing: a participant moving to another unit, a round's weight). The period grows with the
value's cost (``REFRESH_FACTOR`` × the last computation: a unit board of a million scores, ~1.2 s of CPU,
is refreshed at most every ~12 s in a rush), and while one reader recomputes a stale value the others
get the previous one at once.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from django.core.cache import cache

REFRESH_S = 2
REFRESH_FACTOR = 10  # and never more often than every 10× its own cost: at most ~10 % of a core per value
TTL_S = 60
NAMESPACE = "boards"  # tests give each test a namespace of its own: the cache outlives a test's database ids


def _version_key(scope: str) -> str:
    return f"{NAMESPACE}:version:{scope}"


def mark_changed(scope: str) -> None:
    """Mark the scope's cached values stale. Call after commit, so that a reader never caches the old
    scores under the new version. The version is a fresh token, not a counter: a counter evicted from the
    cache would start again at a value that an old cached value still carries."""
    cache.set(_version_key(scope), time.time_ns(), None)


def _version(scope: str):
    version = cache.get(_version_key(scope))
    if version is None:
        cache.add(_version_key(scope), time.time_ns(), None)
        version = cache.get(_version_key(scope))
    return version


def cached(*, key: str, scope: str, now: dt.datetime, compute: Callable[[], object]):
    """The value under ``key``, recomputed by ``compute()`` when stale (see the module's rule). The version
    is read before computing, so a score committed meanwhile leaves the new value marked stale."""
    version = _version(scope)
    key = f"{NAMESPACE}:{key}"
    entry = cache.get(key)
    if entry is not None:
        cached_version, computed_at, value, cost_s = entry
        age = (now - computed_at).total_seconds()
        if 0 <= age < TTL_S and (cached_version == version or age < max(REFRESH_S, REFRESH_FACTOR * cost_s)):
            return value
        if not cache.add(f"{key}:computing", 1, timeout=max(5, 2 * cost_s)):
            return value  # another reader is computing it: this one gets the previous value at once
    started = time.perf_counter()
    try:
        value = compute()
    finally:
        cache.delete(f"{key}:computing")
    cache.set(key, (version, now, value, time.perf_counter() - started), TTL_S)
    return value
