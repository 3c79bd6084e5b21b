"""Payments models, split by concern; import them from here (`from payments.models import X`)."""

from payments.models.api import ApiKey, IdempotencyRecord
from payments.models.funding import WalletFunding
from payments.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.models.merchants import Kiosk, KioskPairingCode, Merchant, MerchantMembership
from payments.models.payment import Payment, RecognitionAttempt, Refund
from payments.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "IdempotencyRecord",
    "Kiosk",
    "KioskPairingCode",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Merchant",
    "MerchantMembership",
    "Payment",
    "RecognitionAttempt",
    "Refund",
    "WalletFunding",
    "WebhookDelivery",
    "WebhookEndpoint",
]
