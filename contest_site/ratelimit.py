"""Rate limits of the whole site: fixed windows counted in Django's cache (local memory by default, Redis
when scaled out, so every daphne process shares the counts).

allauth limits sign-in, sign-up and password resets itself (``ACCOUNT_RATE_LIMITS``); everything else that a
script could repeat — wrong live-game PINs, uploads, votes, forum reactions — counts here. A refusal is
HTTP 429 with a translated message (``too_many``) and changes nothing. Messages on an open WebSocket (live
games, forum threads) are limited per connection by a token bucket (``RateLimit``), in memory.
"""

from __future__ import annotations

import datetime as dt
import time

from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.shortcuts import render
from django.utils import timezone

NAMESPACE = "ratelimit"  # tests give each test its own, so that counters never leak between tests


class RateLimited(Exception):
    """A refusal because someone acts too fast.

    Apps mix it into their own error (``class VoteLimited(VoteError, RateLimited)``): code catching the
    app's error still does, and a view tells "too fast" (429) from the other refusals.
    """


def _window_key(key: str, period_s: int, now: dt.datetime | None) -> str:
    """Windows follow the clock (``now``, as every service takes it), so a test or a replay that passes
    ``now`` gets the same counts as the live site."""
    moment = now or timezone.now()
    return f"{NAMESPACE}:{key}:{int(moment.timestamp()) // period_s}"


def hit(key: str, *, limit: int, period_s: int, now: dt.datetime | None = None) -> bool:
    """Count one action under ``key``; return False when this one is over ``limit`` within its window.

    ``add`` then ``incr`` are atomic on Redis and on the local-memory cache, so concurrent requests cannot
    both take the last slot. A key lives at most one window (its timeout), so nothing piles up in Redis.
    """
    cache_key = _window_key(key, period_s, now)
    if cache.add(cache_key, 1, timeout=period_s):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this action opens the window again
        cache.add(cache_key, 1, timeout=period_s)
        return limit >= 1
    if count == 1:  # Redis re-created a key that expired between its existence check and INCR: no timeout
        cache.touch(cache_key, period_s)
    return count <= limit


def over(key: str, *, limit: int, period_s: int, now: dt.datetime | None = None) -> bool:
    """Whether ``key`` has used up ``limit`` in this window, without counting anything (for limits on
    failures only: look first, count the failure afterwards)."""
    return (cache.get(_window_key(key, period_s, now)) or 0) >= limit


def client_ip(request) -> str:
    """The client's address as allauth's own rate limits see it (REMOTE_ADDR, or the proxy header that
    the ALLAUTH_TRUSTED_* settings name), so that every limit per address agrees."""
    return get_adapter(request).get_client_ip(request)


def too_many(request, message: str = "", *, back_url: str = ""):
    """The answer to a refused request: a page with the reason and a way back, status 429 (allauth's
    refusals render the same template, with its general message)."""
    return render(request, "429.html", {"message": message, "back_url": back_url}, status=429)


class RateLimit:
    """A token bucket per connection: ``rate`` messages a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst, self.tokens, self.at = rate, burst, float(burst), time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
