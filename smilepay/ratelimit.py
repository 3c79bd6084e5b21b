"""The one rate limiter: fixed-window counters in the shared cache (Redis in production).

Every limit in SmilePay goes through here: recognition attempts at kiosks
(kiosk/limits.py), face-check frames on the portal, sign-ins and password resets
(accounts/signin_limits.py) and the kiosk's staff confirmation. A window starts at the
first hit of its key and lasts `window` seconds; the count is shared by every web
process because the cache is.

`client_ip` is the address limits key on: REMOTE_ADDR, which the ASGI server sets from
X-Forwarded-For only for a proxy it trusts (uvicorn's FORWARDED_ALLOW_IPS, by default
127.0.0.1 only), so a client elsewhere cannot choose its own address.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext


class RateLimited(Exception):
    """Too many hits of one key in its window; `retry_after` is in seconds."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(scope, retry_after)
        self.scope = scope  # for logs and tests; never shown
        self.retry_after = retry_after

    def __str__(self) -> str:
        # Shown as it is by the kiosk and the JSON views: in the person's language.
        minutes = self.retry_after_minutes
        return ngettext(
            "Too many attempts. Try again in %(minutes)d minute.",
            "Too many attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}

    @property
    def retry_after_minutes(self) -> int:
        """The wait in whole minutes, rounded up (what a person is told)."""
        return -(-self.retry_after // 60)


def key_for(*parts: object) -> str:
    """A cache key of the parts; anything a person typed is hashed, never stored clear."""
    return "rl:" + ":".join(str(part) for part in parts)


def hashed(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def hit(key: str, *, limit: int, window: int, scope: str) -> int:
    """Count one hit; raise RateLimited once the window holds more than `limit`."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    if count > limit:
        raise RateLimited(scope, window)
    return count


def check(key: str, *, limit: int, window: int, scope: str) -> None:
    """Raise RateLimited if `key` already reached `limit`, without counting this call."""
    if (cache.get(key) or 0) >= limit:
        raise RateLimited(scope, window)


def reset(key: str) -> None:
    cache.delete(key)


def give_back(key: str) -> None:
    """Undo one `hit` (a try that turned out not to be a failure); never below zero."""
    try:
        if cache.decr(key) < 0:
            cache.delete(key)
    except ValueError:  # expired meanwhile: nothing to give back
        pass


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return "unknown"
    return request.META.get("REMOTE_ADDR") or "unknown"
