"""Fixed-window rate limits kept in Django's cache (local memory by default, Redis when scaled out)."""

from __future__ import annotations

from django.core.cache import cache

NAMESPACE = "throttle"  # tests give each test its own, so that counters never leak between tests


def hit(key: str, *, limit: int, period_s: int) -> bool:
    """Count one action under ``key``; return False when this one is over ``limit`` within the window.

    ``add`` then ``incr`` are atomic on Redis and on the local-memory cache, so concurrent requests
    cannot both take the last slot. The window starts at the first action (fixed, not sliding: simple
    and good enough to stop a script).
    """
    cache_key = f"{NAMESPACE}:{key}"
    if cache.add(cache_key, 1, timeout=period_s):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this action opens a new window
        cache.add(cache_key, 1, timeout=period_s)
        return True
    return count <= limit
