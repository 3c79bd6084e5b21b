"""Limits on guessing passwords and on password-reset mail (the shared smilepay.ratelimit).

Sign-in: failures are counted per account (the identifier as typed, normalised, so that
"+1 202…" and "202…" are one account) and per client address. Each try is counted
before its password is checked and given back if the password was right, so that
guesses sent all at once cannot outrun the count. Once either count reaches its limit,
every sign-in for it is refused until the window ends, even with the right password:
otherwise a guesser only has to keep trying. A successful sign-in clears the account's
count. Password reset: every request counts, per address typed
and per client address, whether or not an account exists, so the answer reveals
nothing and the mailbox is not flooded.
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.phones import normalize_phone
from smilepay import ratelimit
from smilepay.ratelimit import RateLimited

__all__ = [
    "RateLimited",
    "account_unlocked",
    "password_check_allowed",
    "password_confirmed",
    "password_matches",
    "password_reset_hit",
    "password_try",
    "signin_check",
    "signin_succeeded",
    "signin_try",
    "signup_hit",
    "try_given_back",
    "try_succeeded",
]


def _account(identifier: str) -> str:
    """The account an identifier names (its email or any spelling of its phone), or, when
    none does, the identifier itself: both are limited alike, so nothing is revealed."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    text = (identifier or "").strip().lower()
    if "@" in text:
        found = users.filter(email__iexact=text)
    else:
        with contextlib.suppress(ValidationError):
            text = normalize_phone(text)
        found = users.holding_phone(text)
    user_id = found.values_list("pk", flat=True).first()
    return _user(user_id) if user_id else ratelimit.hashed(text)


def _user(user_id: int) -> str:
    """The account an id names, as the limits key it."""
    return f"user{user_id}"


def _signin_keys(identifier: str, ip: str) -> list[tuple[str, int]]:
    return _limit_keys(_account(identifier), ip)


def _limit_keys(account: str, ip: str) -> list[tuple[str, int]]:
    return [
        (ratelimit.key_for("signin", "account", account), settings.LOGIN_FAILURES_PER_ACCOUNT),
        (ratelimit.key_for("signin", "ip", ip), settings.LOGIN_FAILURES_PER_IP),
    ]


def signin_check(*, identifier: str, ip: str) -> None:
    """Raise RateLimited when this account or this address has failed too often (a look,
    for the form's message; the try itself is counted by `signin_try`)."""
    _check(_signin_keys(identifier, ip))


def signin_try(*, identifier: str, ip: str) -> list[tuple[str, int]]:
    """Count this try before its password is checked; raise RateLimited past the limits.

    Counted first, not after a failure: guesses sent all at once would otherwise each
    find the count below the limit while the others are still being hashed. Returns the
    keys, for `try_succeeded` to give the try back."""
    keys = _signin_keys(identifier, ip)
    _claim(keys)
    return keys


def _claim(keys: list[tuple[str, int]]) -> None:
    claimed: list[tuple[str, int]] = []
    try:
        for key, limit in keys:
            ratelimit.hit(key, limit=limit, window=settings.LOGIN_LOCKOUT_SECONDS, scope="sign-in")
            claimed.append((key, limit))
    except RateLimited:
        try_given_back(claimed)  # refused by a later limit: this try is no one's failure
        raise


def try_succeeded(keys: list[tuple[str, int]]) -> None:
    """The password was right: the account's failures are forgotten, the address's try
    given back (its count is of failures)."""
    account_key, ip_key = keys[0][0], keys[1][0]
    ratelimit.reset(account_key)
    ratelimit.give_back(ip_key)


def _check(keys: list[tuple[str, int]]) -> None:
    for key, limit in keys:
        ratelimit.check(key, limit=limit, window=settings.LOGIN_LOCKOUT_SECONDS, scope="sign-in")


def signin_succeeded(*, identifier: str) -> None:
    ratelimit.reset(ratelimit.key_for("signin", "account", _account(identifier)))


def account_unlocked(*, user_id: int) -> None:
    """A new password set through a reset link: the account's failures are forgotten (the
    lockout message sends people there). The client address's count stays."""
    ratelimit.reset(ratelimit.key_for("signin", "account", _user(user_id)))


def password_check_allowed(*, user_id: int, ip: str) -> None:
    """Raise RateLimited while this account or address may not try a password. For the
    password a signed-in customer types again (to confirm a payment, to delete the
    account): a session left open on a phone must be no way round the sign-in lockout."""
    _check(_limit_keys(_user(user_id), ip))


def password_confirmed(*, user_id: int, password: str, ip: str) -> bool:
    """Whether ``password`` is the account's; a wrong one counts as a failed sign-in.
    Call ``password_check_allowed`` first."""
    return password_matches(
        user_id=user_id, password=password, tried=password_try(user_id=user_id, ip=ip)
    )


def password_try(*, user_id: int, ip: str) -> list[tuple[str, int]]:
    """Count a password try of this account before its hash, as for a sign-in; raise
    RateLimited past the limits. Hand the result to `password_matches`, or to
    `try_given_back` when the password is not checked after all."""
    keys = _limit_keys(_user(user_id), ip)
    _claim(keys)
    return keys


def password_matches(*, user_id: int, password: str, tried: list[tuple[str, int]]) -> bool:
    from django.contrib.auth import get_user_model

    if get_user_model().objects.get(pk=user_id).check_password(password):
        try_succeeded(tried)
        return True
    return False


def try_given_back(tried: list[tuple[str, int]]) -> None:
    """A counted try whose password was never checked (what it was for failed first)."""
    for key, _limit in tried:
        ratelimit.give_back(key)


def signup_hit(*, ip: str) -> None:
    """Count one sign-up try from this client address; raise RateLimited past the hourly
    limit (each answer says whether an e-mail or a verified number has an account)."""
    ratelimit.hit(
        ratelimit.key_for("signup", "ip", ip),
        limit=settings.SIGNUPS_PER_IP_HOUR,
        window=3600,
        scope="sign-up",
    )


def password_reset_hit(*, email: str, ip: str) -> None:
    """Count one reset request; raise RateLimited past the hourly limits."""
    ratelimit.hit(
        ratelimit.key_for("reset", "account", _account(email)),
        limit=settings.PASSWORD_RESETS_PER_ACCOUNT_HOUR,
        window=3600,
        scope="password reset",
    )
    ratelimit.hit(
        ratelimit.key_for("reset", "ip", ip),
        limit=settings.PASSWORD_RESETS_PER_IP_HOUR,
        window=3600,
        scope="password reset",
    )


# --- wiring: Django's auth signals (connected in AccountsConfig.ready) -------------------


def on_logged_in(sender, request, user, **kwargs) -> None:
    for identifier in (user.email, getattr(user, "phone_e164", None)):
        if identifier:
            signin_succeeded(identifier=identifier)
