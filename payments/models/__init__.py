"""Payments models, split by concern; import them from here (`from payments.models import X`).

The merchant, its staff, kiosks, API keys and webhook endpoints are merchants.models'."""

from payments.models.api import IdempotencyRecord
from payments.models.funding import WalletFunding
from payments.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.models.payment import Payment, RecognitionAttempt, Refund
from payments.models.webhooks import WebhookDelivery

__all__ = [
    "IdempotencyRecord",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Payment",
    "RecognitionAttempt",
    "Refund",
    "WalletFunding",
    "WebhookDelivery",
]
