"""Rate limits on recognition attempts (the shared limiter in smilepay/ratelimit.py)."""

from __future__ import annotations

from django.conf import settings

from smilepay.ratelimit import RateLimited, hashed, hit

__all__ = [
    "RateLimited",
    "check_customer_attempt",
    "check_kiosk_attempt",
    "check_phone_digits_attempt",
]


def check_kiosk_attempt(*, kiosk_id: int) -> None:
    hit(
        f"rl:kiosk:{kiosk_id}",
        limit=settings.KIOSK_ATTEMPTS_PER_MINUTE,
        window=60,
        scope="this kiosk",
    )


def check_phone_digits_attempt(*, phone_digits: str) -> None:
    # The digits are not secret, but a hash keeps them out of cache dumps all the same.
    hit(
        f"rl:digits:{hashed(phone_digits)}",
        limit=settings.KIOSK_ATTEMPTS_PER_PHONE_DIGITS,
        window=600,
        scope="these phone digits",
    )


def check_customer_attempt(*, customer_id: int) -> None:
    hit(
        f"rl:customer:{customer_id}",
        limit=settings.KIOSK_ATTEMPTS_PER_CUSTOMER_HOUR,
        window=3600,
        scope="this customer",
    )
