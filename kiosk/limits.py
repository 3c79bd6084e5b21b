"""Fixed-window rate limits on recognition attempts, counted in the shared cache."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


class RateLimited(Exception):
    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"Too many attempts ({scope}); try again in {retry_after} s.")
        self.scope = scope
        self.retry_after = retry_after


def _hit(key: str, *, limit: int, window: int, scope: str) -> None:
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    if count > limit:
        raise RateLimited(scope, window)


def check_kiosk_attempt(*, kiosk_id: int) -> None:
    _hit(
        f"rl:kiosk:{kiosk_id}",
        limit=settings.KIOSK_ATTEMPTS_PER_MINUTE,
        window=60,
        scope="this kiosk",
    )


def check_phone_digits_attempt(*, phone_digits: str) -> None:
    # The digits are not secret, but a hash keeps them out of cache dumps all the same.
    digest = hashlib.sha256(phone_digits.encode()).hexdigest()[:16]
    _hit(
        f"rl:digits:{digest}",
        limit=settings.KIOSK_ATTEMPTS_PER_PHONE_DIGITS,
        window=600,
        scope="these phone digits",
    )


def check_customer_attempt(*, customer_id: int) -> None:
    _hit(
        f"rl:customer:{customer_id}",
        limit=settings.KIOSK_ATTEMPTS_PER_CUSTOMER_HOUR,
        window=3600,
        scope="this customer",
    )
