"""Payment-side services. Every write goes through a function here."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from payments.models import Kiosk, KioskPairingCode
from payments.tokens import hash_token, new_pairing_code

PAIRING_CODE_TTL = timedelta(minutes=30)


def kiosk_issue_pairing_code(*, kiosk_id: int, ttl: timedelta = PAIRING_CODE_TTL) -> str:
    """Create a fresh one-time pairing code for a kiosk and return it (shown once).

    Unused earlier codes are spent, so at most one code for a kiosk works at a time.
    """
    code = new_pairing_code()
    now = timezone.now()
    with transaction.atomic():
        kiosk = Kiosk.objects.select_for_update().get(pk=kiosk_id)
        kiosk.pairing_codes.filter(used_at__isnull=True).update(used_at=now)
        KioskPairingCode.objects.create(
            kiosk=kiosk, code_hash=hash_token(code), expires_at=now + ttl
        )
    return code
