"""Reads of merchants, their staff and kiosks."""

from __future__ import annotations

from django.db.models import QuerySet

from merchants.models import Kiosk, MerchantMembership
from merchants.tokens import hash_token


def kiosk_for_device(*, device_token: str | None) -> Kiosk | None:
    """The active kiosk this device token belongs to, or None."""
    if not device_token:
        return None
    return (
        Kiosk.objects.select_related("merchant")
        .filter(device_token_hash=hash_token(device_token), revoked_at__isnull=True)
        .first()
    )


def merchant_kiosks(*, merchant_id: int) -> QuerySet[Kiosk]:
    return Kiosk.objects.filter(merchant_id=merchant_id).order_by("name")


def memberships_of(*, user_id: int) -> QuerySet[MerchantMembership]:
    return MerchantMembership.objects.filter(user_id=user_id).select_related("merchant")
