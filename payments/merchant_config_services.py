"""Merchant configuration writes: kiosks, API keys, webhook endpoints, attempts log."""

from __future__ import annotations

from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit
from accounts.services import face_pay_pause
from merchants import outbound
from merchants.models import WEBHOOK_EVENT_TYPES, ApiKey, Kiosk, Merchant, WebhookEndpoint
from merchants.tokens import hash_token, new_token
from payments import webhooks
from payments.errors import InvalidRequest
from payments.models import Payment, RecognitionAttempt
from payments.signals import kiosk_device_revoked
from payments.transitions import payment_cancel


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
            lambda: kiosk_device_revoked.send(sender=Kiosk, kiosk_id=kiosk_id, keep_token_hash="")
        )
    return kiosk


def merchant_return_hosts_set(
    *, merchant_id: int, hosts: list[str], changed_by_id: int | None = None
) -> Merchant:
    """Replace the hosts online payments may return the shopper to (already parsed by
    payments.return_urls.parse_hosts)."""
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
        raise InvalidRequest(
            "invalid_url", f"the URL must use {' or '.join(sorted(allowed))}", param="url"
        )
    try:
        outbound.check_target(url)
    except outbound.ForbiddenTarget as exc:
        raise InvalidRequest("forbidden_url", str(exc), param="url") from exc


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
        raise InvalidRequest("invalid_event_type", f"unknown: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            merchant_id=merchant_id,
            url=url,
            secret=webhooks.new_secret(),
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


def recognition_attempt_record(
    *,
    payment_id: int | None,
    kiosk_id: int | None,
    outcome: str,
    customer_id: int | None = None,
    best_distance: float | None = None,
    margin: float | None = None,
    liveness_score: float | None = None,
    pad_score: float | None = None,
    timings_ms: dict[str, float] | None = None,
    phone_digits_used: bool = False,
    near_customer_ids: list[int] | None = None,
    searched_identities: int | None = None,
) -> RecognitionAttempt:
    """Log one recognition try: outcome and numbers only, never images or encodings."""
    with transaction.atomic():
        attempt = RecognitionAttempt.objects.create(
            payment_id=payment_id,
            kiosk_id=kiosk_id,
            customer_id=customer_id,
            outcome=outcome[:24],
            best_distance=best_distance,
            margin=margin,
            liveness_score=liveness_score,
            pad_score=pad_score,
            timings_ms={k: float(v) for k, v in (timings_ms or {}).items()},
            phone_digits_used=phone_digits_used,
            searched_identities=searched_identities,
        )
        near = set(near_customer_ids or [])
        if customer_id:
            near.add(customer_id)
        if near:
            attempt.near_customers.set(near)
        if payment_id is not None:
            audit(
                "recognition.attempted",
                payment_id=payment_id,
                data={"attempt_id": attempt.pk, "outcome": attempt.outcome},
            )
    return attempt


def recognition_attempt_flag(*, attempt_id: int, customer_id: int) -> RecognitionAttempt:
    """The customer says "this wasn't me": flag the attempt and pause their face pay."""
    with transaction.atomic():
        attempt = RecognitionAttempt.objects.select_for_update().get(pk=attempt_id)
        related = (
            attempt.customer_id == customer_id
            or attempt.near_customers.filter(pk=customer_id).exists()
        )
        if not related:
            raise RecognitionAttempt.DoesNotExist
        if attempt.flagged_by_customer_at is not None:
            return attempt
        attempt.flagged_by_customer_at = timezone.now()
        attempt.save(update_fields=["flagged_by_customer_at"])
        audit(
            "recognition.flagged_by_customer",
            payment_id=attempt.payment_id,
            data={"attempt_id": attempt.pk, "customer_id": customer_id},
        )
        # In the same transaction: the flag and the pause stand or fall together.
        face_pay_pause(user_id=customer_id, reason=f"flagged recognition attempt {attempt.pk}")
    return attempt
