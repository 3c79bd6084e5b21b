"""Binding a browser to a kiosk: one-time pairing codes in, long-lived device tokens out."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from payments.models import Kiosk, KioskPairingCode
from payments.tokens import hash_token, new_token, normalize_pairing_code

DEVICE_COOKIE = "smilepay_kiosk"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600


class PairingError(Exception):
    """The pairing code is unknown, used or expired."""


@dataclass(frozen=True)
class Pairing:
    kiosk_id: int
    device_token: str


def kiosk_pair(*, code: str) -> Pairing:
    """Spend a pairing code and give the device a fresh token (shown to it once).

    A kiosk has one device at a time: pairing again replaces the earlier device's token,
    and pairing a revoked kiosk with a code issued after the revocation brings it back.
    """
    code_hash = hash_token(normalize_pairing_code(code))
    token = new_token("kd")
    now = timezone.now()
    with transaction.atomic():
        pairing_code = (
            KioskPairingCode.objects.select_for_update().filter(code_hash=code_hash).first()
        )
        if pairing_code is None or not pairing_code.is_usable(now=now):
            raise PairingError("That pairing code is not valid. Ask for a new one.")
        pairing_code.used_at = now
        pairing_code.save(update_fields=["used_at"])
        kiosk = Kiosk.objects.select_for_update().get(pk=pairing_code.kiosk_id)
        kiosk.device_token_hash = hash_token(token)
        kiosk.paired_at = now
        kiosk.revoked_at = None
        kiosk.save(update_fields=["device_token_hash", "paired_at", "revoked_at"])
    return Pairing(kiosk_id=kiosk.pk, device_token=token)


def kiosk_for_device(*, device_token: str | None) -> Kiosk | None:
    """The active kiosk this device token belongs to, or None."""
    if not device_token:
        return None
    return (
        Kiosk.objects.select_related("merchant")
        .filter(device_token_hash=hash_token(device_token), revoked_at__isnull=True)
        .first()
    )
