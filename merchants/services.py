"""Merchant writes: merchants and their staff, kiosks and their pairing, return hosts,
API keys, webhook endpoints.

Every write goes through a function here (docs/contracts.md). merchants imports neither
payments nor kiosk: what they must do when a kiosk changes (cancel its open payments,
close its sockets) they do on merchants.signals (see there when each is sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit
from merchants import outbound
from merchants.errors import InvalidSetting, PairingError, UnpairRefused
from merchants.models import (
    WEBHOOK_EVENT_TYPES,
    ApiKey,
    Kiosk,
    KioskPairingCode,
    Merchant,
    MerchantMembership,
    WebhookEndpoint,
)
from merchants.signals import kiosk_paired, kiosk_revoked
from merchants.tokens import (
    hash_token,
    new_pairing_code,
    new_token,
    new_webhook_secret,
    normalize_pairing_code,
)
from smilepay import ratelimit

# Who may unpair a kiosk at its counter with their own sign-in.
UNPAIR_ROLES = (MerchantMembership.Role.OWNER, MerchantMembership.Role.MANAGER)


@dataclass(frozen=True)
class Pairing:
    kiosk_id: int
    device_token: str


def merchant_create(
    *, name: str, slug: str, currency: str = "USD", created_by_id: int | None = None
) -> Merchant:
    """A merchant, known by its slug: asking again for a slug that exists returns that
    merchant unchanged (and records nothing), so a seed or a retried call is harmless."""
    with transaction.atomic():
        merchant, created = Merchant.objects.get_or_create(
            slug=slug, defaults={"name": name[:200], "currency": currency.upper()}
        )
        if created:
            audit(
                "merchant.created",
                data={"merchant_id": merchant.pk, "slug": slug, "created_by_id": created_by_id},
            )
    return merchant


def membership_set(
    *, merchant_id: int, user_id: int, role: str, changed_by_id: int | None = None
) -> MerchantMembership:
    """Make a person staff of a merchant with this role, or change their role."""
    role = MerchantMembership.Role(role)  # ValueError on a role that does not exist
    with transaction.atomic():
        membership, created = MerchantMembership.objects.select_for_update().get_or_create(
            merchant_id=merchant_id, user_id=user_id, defaults={"role": role}
        )
        if not created:
            if membership.role == role:
                return membership
            membership.role = role
            membership.save(update_fields=["role"])
        audit(
            "merchant.membership_set",
            user_id=user_id,
            data={"merchant_id": merchant_id, "role": role.value, "changed_by_id": changed_by_id},
        )
    return membership


def kiosk_create(
    *,
    merchant_id: int,
    name: str,
    location: str = "",
    require_phone_digits: bool = False,
    created_by_id: int | None = None,
) -> Kiosk:
    with transaction.atomic():
        kiosk = Kiosk.objects.create(
            merchant_id=merchant_id,
            name=name[:100],
            location=location[:200],
            require_phone_digits=require_phone_digits,
        )
        audit(
            "kiosk.created",
            data={"kiosk_id": kiosk.pk, "merchant_id": merchant_id, "created_by_id": created_by_id},
        )
    return kiosk


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
            lambda: kiosk_paired.send(sender=Kiosk, kiosk_id=kiosk.pk, keep_token_hash=keep),
            robust=True,
        )
    return Pairing(kiosk_id=kiosk.pk, device_token=token)


def merchant_return_hosts_set(
    *, merchant_id: int, hosts: list[str], changed_by_id: int | None = None
) -> Merchant:
    """Replace the hosts online payments may return the shopper to (already parsed by
    merchants.return_urls.parse_hosts)."""
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
        value = "\n".join(hosts)
        if merchant.return_hosts == value:
            return merchant
        merchant.return_hosts = value
        merchant.save(update_fields=["return_hosts"])
        audit(
            "merchant.return_hosts_changed",
            data={"merchant_id": merchant_id, "hosts": hosts, "changed_by_id": changed_by_id},
        )
    return merchant


def api_key_create(
    *, merchant_id: int, name: str, created_by_id: int | None = None
) -> tuple[ApiKey, str]:
    """Returns the key and its secret; the secret is not stored and cannot be shown again
    (nor audited: the event names the key by its id)."""
    secret = new_token("sk")
    with transaction.atomic():
        key = ApiKey.objects.create(
            merchant_id=merchant_id,
            name=name[:100] or "API key",
            prefix=secret[:11],
            key_hash=hash_token(secret),
            created_by_id=created_by_id,
        )
        audit(
            "api_key.created",
            data={"api_key_id": key.pk, "merchant_id": merchant_id, "created_by_id": created_by_id},
        )
    return key, secret


def api_key_revoke(
    *, api_key_id: int, merchant_id: int, revoked_by_id: int | None = None
) -> ApiKey:
    """The key stops working at once; revoking it again changes nothing."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=api_key_id, merchant_id=merchant_id)
        if key.revoked_at is not None:
            return key
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit(
            "api_key.revoked",
            data={"api_key_id": key.pk, "merchant_id": merchant_id, "revoked_by_id": revoked_by_id},
        )
    return key


def _check_webhook_url(url: str) -> None:
    parsed = urlparse(url)
    allowed = {"https"} if settings.HTTPS else {"https", "http"}
    if parsed.scheme not in allowed or not parsed.netloc:
        raise InvalidSetting(
            "invalid_url",
            _("the URL must use %(schemes)s") % {"schemes": " / ".join(sorted(allowed))},
            param="url",
        )
    try:
        outbound.check_target(url)
    except outbound.ForbiddenTarget as exc:
        raise InvalidSetting("forbidden_url", str(exc), param="url") from exc


def webhook_endpoint_create(
    *,
    merchant_id: int,
    url: str,
    event_types: list[str] | None = None,
    created_by_id: int | None = None,
) -> WebhookEndpoint:
    _check_webhook_url(url)
    unknown = set(event_types or []) - set(WEBHOOK_EVENT_TYPES)
    if unknown:
        raise InvalidSetting("invalid_event_type", f"unknown: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            merchant_id=merchant_id,
            url=url,
            secret=new_webhook_secret(),
            event_types=list(event_types or []),
        )
        # The host only: a URL may carry a token of the merchant's own in its path or query.
        audit(
            "webhook_endpoint.created",
            data={
                "endpoint_id": endpoint.pk,
                "merchant_id": merchant_id,
                "host": urlparse(url).hostname or "",
                "created_by_id": created_by_id,
            },
        )
    return endpoint


def webhook_endpoint_disable(
    *, endpoint_id: int, merchant_id: int, disabled_by_id: int | None = None
) -> WebhookEndpoint:
    """No more deliveries to this endpoint; disabling it again changes nothing."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(
            pk=endpoint_id, merchant_id=merchant_id
        )
        if not endpoint.is_active:
            return endpoint
        endpoint.is_active = False
        endpoint.save(update_fields=["is_active"])
        audit(
            "webhook_endpoint.disabled",
            data={
                "endpoint_id": endpoint.pk,
                "merchant_id": merchant_id,
                "disabled_by_id": disabled_by_id,
            },
        )
    return endpoint


def kiosk_revoke(*, kiosk_id: int, merchant_id: int, revoked_by_id: int | None = None) -> Kiosk:
    """The device token stops working at once, the kiosk's open payments are canceled and
    every socket of it is closed (the page shows the pairing screen)."""

    with transaction.atomic():
        kiosk = Kiosk.objects.select_for_update().get(pk=kiosk_id, merchant_id=merchant_id)
        if kiosk.revoked_at is not None:
            return kiosk
        kiosk.revoked_at = timezone.now()
        kiosk.device_token_hash = ""
        kiosk.save(update_fields=["revoked_at", "device_token_hash"])
        kiosk.pairing_codes.filter(used_at__isnull=True).update(used_at=kiosk.revoked_at)
        audit(
            "kiosk.revoked",
            data={"kiosk_id": kiosk.pk, "merchant_id": merchant_id, "revoked_by_id": revoked_by_id},
        )
        # Inside the transaction, not on commit: the payments' cancels commit with the
        # revoke or not at all, so no customer can approve a payment of a kiosk that is
        # already off. Listeners put their own side effects on commit.
        kiosk_revoked.send(sender=Kiosk, kiosk_id=kiosk_id, merchant_id=merchant_id)
    return kiosk


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
