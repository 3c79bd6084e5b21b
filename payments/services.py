"""Payment-side services. Every write goes through a function here (docs/contracts.md).

The implementations live in small modules; this module is the stable import path.
"""

from __future__ import annotations

from payments.funding import wallet_fund, wallet_funding_complete
from payments.models import Payment
from payments.money import payment_refund, wallet_topup
from payments.recognition_attempts import recognition_attempt_flag, recognition_attempt_record
from payments.recognition_queue import recognition_enqueue
from payments.transitions import (
    payment_approve,
    payment_cancel,
    payment_create,
    payment_decline,
    payment_expire,
    payment_fail,
    payment_match,
    payment_start_matching,
)

__all__ = [
    "kiosk_payments_cancel",
    "payment_approve",
    "payment_cancel",
    "payment_create",
    "payment_decline",
    "payment_expire",
    "payment_fail",
    "payment_match",
    "payment_refund",
    "payment_start_matching",
    "recognition_attempt_flag",
    "recognition_attempt_record",
    "recognition_enqueue",
    "wallet_fund",
    "wallet_funding_complete",
    "wallet_topup",
]


def kiosk_payments_cancel(*, kiosk_id: int, reason: str = "kiosk_revoked") -> None:
    """Cancel every open payment of a revoked kiosk, each as its own audited transition
    (an overdue one expires instead; one that closed meanwhile is left as it is)."""
    open_ids = Payment.objects.filter(
        kiosk_id=kiosk_id, status__in=Payment.OPEN_STATUSES
    ).values_list("pk", flat=True)
    for payment_id in list(open_ids):
        payment_cancel(payment_id=payment_id, reason=reason)


def on_kiosk_revoked(sender, *, kiosk_id: int, **kwargs) -> None:
    # merchants.signals.kiosk_revoked, sent inside the revoke's transaction.
    kiosk_payments_cancel(kiosk_id=kiosk_id)


def on_kiosk_paired(sender, *, kiosk_id: int, **kwargs) -> None:
    # merchants.signals.kiosk_paired, on commit: the device before this one no longer
    # works, and the new one starts at a new payment, not at its predecessor's last screen.
    kiosk_payments_cancel(kiosk_id=kiosk_id, reason="kiosk_paired_again")
