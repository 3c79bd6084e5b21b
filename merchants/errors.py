"""Errors the merchant services raise; pages and the API turn them into messages."""

from __future__ import annotations


class MerchantError(Exception):
    """A request the merchant services refuse. `code` is stable and shown to API clients."""

    http_status = 400

    def __init__(self, code: str, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


class InvalidSetting(MerchantError):
    """A setting the merchant typed is refused (a webhook URL, an event type)."""


class PairingError(Exception):
    """The pairing code is unknown, used or expired."""


class UnpairRefused(Exception):
    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
