"""The kiosk device's cookie, and "unpair this device" confirmed by staff at the counter.

Pairing, the device token and revoking are merchants.services'."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from merchants.errors import UnpairRefused
from merchants.models import Kiosk, MerchantMembership
from payments.services import kiosk_revoke
from smilepay import ratelimit

DEVICE_COOKIE = "smilepay_kiosk"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
UNPAIR_ROLES = (MerchantMembership.Role.OWNER, MerchantMembership.Role.MANAGER)
UNPAIR_LIMITED = _("Too many tries. Wait 15 minutes, or revoke the kiosk on the merchant site.")


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
