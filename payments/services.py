"""Payment-side services. Every write goes through a function here (docs/contracts.md).

The implementations live in small modules; this module is the stable import path.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit
from merchants.models import Kiosk
from merchants.signals import kiosk_revoked
from payments.funding import wallet_fund, wallet_funding_complete
from payments.models import Payment
from payments.money import payment_refund, wallet_topup
from payments.recognition_attempts import recognition_attempt_flag, recognition_attempt_record
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
    "kiosk_revoke",
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
    "wallet_fund",
    "wallet_funding_complete",
    "wallet_topup",
]


def kiosk_revoke(*, kiosk_id: int, merchant_id: int, revoked_by_id: int | None = None) -> Kiosk:
    """The device token stops working at once, every open socket of the kiosk is closed
    (the page shows the pairing screen) and its open payments are canceled."""

    with transaction.atomic():
        kiosk = Kiosk.objects.select_for_update().get(pk=kiosk_id, merchant_id=merchant_id)
        if kiosk.revoked_at is not None:
            return kiosk
        kiosk.revoked_at = timezone.now()
        kiosk.device_token_hash = ""
        kiosk.save(update_fields=["revoked_at", "device_token_hash"])
        kiosk.pairing_codes.filter(used_at__isnull=True).update(used_at=kiosk.revoked_at)
        open_ids = list(
            kiosk.payments.filter(status__in=Payment.OPEN_STATUSES).values_list("pk", flat=True)
        )
        for payment_id in open_ids:
            payment_cancel(payment_id=payment_id, reason="kiosk_revoked")
        audit(
            "kiosk.revoked",
            data={
                "kiosk_id": kiosk.pk,
                "merchant_id": merchant_id,
                "revoked_by_id": revoked_by_id,
                "canceled_payments": len(open_ids),
            },
        )
        transaction.on_commit(
            lambda: kiosk_revoked.send(sender=Kiosk, kiosk_id=kiosk_id, merchant_id=merchant_id)
        )
    return kiosk
