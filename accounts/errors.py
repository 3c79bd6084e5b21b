"""Errors the accounts services raise; `message` is safe to show to the customer."""

from __future__ import annotations


class AccountsError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class CodeRequestRefused(AccountsError):
    """Another phone code asked for too soon or too often. Not the shared limiter
    (smilepay.ratelimit): the rule counts the codes actually sent, PhoneCode rows read
    under the customer's lock, so it holds exactly and survives a cache flush."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConsentRequired(AccountsError):
    code = "consent_required"


class PhoneNotVerified(AccountsError):
    code = "phone_not_verified"


class EnrollmentRefused(AccountsError):
    """A capture or self-check was not accepted; `code` says why, `guidance` what to do."""

    code = "refused"

    def __init__(self, message: str, *, code: str, guidance: list[str] | None = None) -> None:
        super().__init__(message, code=code)
        self.guidance = guidance or []


class PushSubscriptionInvalid(AccountsError):
    code = "invalid_subscription"
