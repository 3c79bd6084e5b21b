"""Errors the payment services raise; the API and pages turn them into messages."""

from __future__ import annotations


class PaymentError(Exception):
    """A request the state machine refuses. `code` is stable and shown to API clients."""

    http_status = 409

    def __init__(self, code: str, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


class InvalidRequest(PaymentError):
    http_status = 400


class NotFound(PaymentError):
    """No such object for this caller (a kiosk of another merchant, an unknown customer)."""

    http_status = 404


class NotYourPayment(PaymentError):
    http_status = 403


class IdempotencyConflict(PaymentError):
    """An idempotency key already stands for another request."""

    http_status = 422
