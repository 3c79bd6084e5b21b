"""Payment-side services. Every write goes through a function here (docs/contracts.md).

The implementations live in small modules; this module is the stable import path.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit
from merchants.models import Kiosk, KioskPairingCode
from merchants.tokens import hash_token, new_pairing_code
from payments.funding import wallet_fund, wallet_funding_complete
from payments.merchant_config_services import (
    api_key_create,
    api_key_revoke,
    kiosk_create,
    kiosk_revoke,
    merchant_return_hosts_set,
    recognition_attempt_flag,
    recognition_attempt_record,
    webhook_endpoint_create,
    webhook_endpoint_disable,
)
from payments.money import payment_refund, wallet_topup
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
    "api_key_create",
    "api_key_revoke",
    "kiosk_create",
    "kiosk_issue_pairing_code",
    "kiosk_revoke",
    "merchant_return_hosts_set",
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
    "webhook_endpoint_create",
    "webhook_endpoint_disable",
]

PAIRING_CODE_TTL = timedelta(minutes=30)


def kiosk_issue_pairing_code(
    *, kiosk_id: int, ttl: timedelta = PAIRING_CODE_TTL, issued_by_id: int | None = None
) -> str:
    """Create a fresh one-time pairing code for a kiosk and return it (shown once, never
    audited: the event names the code's row).

    Unused earlier codes are spent, so at most one code for a kiosk works at a time.
    """
    code = new_pairing_code()
    now = timezone.now()
    with transaction.atomic():
        kiosk = Kiosk.objects.select_for_update().get(pk=kiosk_id)
        kiosk.pairing_codes.filter(used_at__isnull=True).update(used_at=now)
        pairing_code = KioskPairingCode.objects.create(
            kiosk=kiosk, code_hash=hash_token(code), expires_at=now + ttl
        )
        audit(
            "kiosk.pairing_code_issued",
            data={
                "kiosk_id": kiosk.pk,
                "merchant_id": kiosk.merchant_id,
                "pairing_code_id": pairing_code.pk,
                "issued_by_id": issued_by_id,
            },
        )
    return code
