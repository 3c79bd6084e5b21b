"""Binding a browser to a kiosk: one-time pairing codes in, long-lived device tokens out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit
from merchants.models import Kiosk, KioskPairingCode, MerchantMembership
from merchants.tokens import hash_token, new_token, normalize_pairing_code
from payments.services import kiosk_revoke
from payments.signals import kiosk_device_revoked
from smilepay import ratelimit

DEVICE_COOKIE = "smilepay_kiosk"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
UNPAIR_ROLES = (MerchantMembership.Role.OWNER, MerchantMembership.Role.MANAGER)
UNPAIR_LIMITED = _("Too many tries. Wait 15 minutes, or revoke the kiosk on the merchant site.")


class PairingError(Exception):
    """The pairing code is unknown, used or expired."""


@dataclass(frozen=True)
class Pairing:
    kiosk_id: int
    device_token: str


def kiosk_pair(*, code: str) -> Pairing:
    """Spend a pairing code and give the device a fresh token (shown to it once).

    A kiosk has one device at a time: pairing again replaces the earlier device's token
    and closes that device's open sockets, and pairing a revoked kiosk with a code
    issued after the revocation brings it back.
    """
    code_hash = hash_token(normalize_pairing_code(code))
    token = new_token("kd")
    now = timezone.now()
    with transaction.atomic():
        pairing_code = (
            KioskPairingCode.objects.select_for_update().filter(code_hash=code_hash).first()
        )
        if pairing_code is None or not pairing_code.is_usable(now=now):
            raise PairingError(_("That pairing code is not valid. Ask for a new one."))
        pairing_code.used_at = now
        pairing_code.save(update_fields=["used_at"])
        kiosk = Kiosk.objects.select_for_update().get(pk=pairing_code.kiosk_id)
        replaced_device = bool(kiosk.device_token_hash)
        kiosk.device_token_hash = hash_token(token)
        kiosk.paired_at = now
        kiosk.revoked_at = None
        kiosk.save(update_fields=["device_token_hash", "paired_at", "revoked_at"])
        keep = kiosk.device_token_hash
        audit(
            "kiosk.paired",
            data={
                "kiosk_id": kiosk.pk,
                "merchant_id": kiosk.merchant_id,
                "pairing_code_id": pairing_code.pk,
                "replaced_device": replaced_device,
            },
        )
        transaction.on_commit(
            lambda: kiosk_device_revoked.send(sender=Kiosk, kiosk_id=kiosk.pk, keep_token_hash=keep)
        )
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


class UnpairRefused(Exception):
    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def kiosk_unpair(
    *, kiosk: Kiosk, email: str, password: str, authenticate: Callable[..., object]
) -> Kiosk:
    """ "Unpair this device": an owner or manager of the kiosk's merchant confirms with
    their own sign-in, then the kiosk is revoked on the server (token gone, sockets
    closed). Raises UnpairRefused, or RateLimited past KIOSK_UNPAIR_ATTEMPTS per 15
    minutes per kiosk (sign-in limits per account and address apply too)."""

    ratelimit.hit(
        ratelimit.key_for("kiosk-unpair", kiosk.pk),
        limit=settings.KIOSK_UNPAIR_ATTEMPTS,
        window=900,
        scope="unpairing this kiosk",
    )
    user = authenticate(username=email.strip(), password=password) if email and password else None
    if user is None:
        raise UnpairRefused(_("That email and password did not match a staff sign-in."), status=403)
    allowed = MerchantMembership.objects.filter(
        merchant_id=kiosk.merchant_id, user_id=user.pk, role__in=UNPAIR_ROLES
    ).exists()
    if not allowed:
        raise UnpairRefused(
            _("Only an owner or manager of this shop can unpair its kiosk."), status=403
        )
    return kiosk_revoke(kiosk_id=kiosk.pk, merchant_id=kiosk.merchant_id, revoked_by_id=user.pk)
