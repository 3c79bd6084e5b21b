"""Signed webhooks: an outbox row per (endpoint, event), delivered by a Celery task.

Signature, like Stripe's: header `SmilePay-Signature: t=<unix time>,v1=<hex>` where hex is
HMAC-SHA256(endpoint secret, f"{t}.{raw body}"). See docs/webhooks.md for the check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants import outbound
from merchants.models import WebhookEndpoint
from payments.errors import PaymentError
from payments.models import Payment, Refund, WebhookDelivery
from payments.webhook_payloads import payment_payload, refund_payload

SIGNATURE_HEADER = "SmilePay-Signature"


def sign(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(*, secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """The receiver's check (the same code is in docs/webhooks.md)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


def _payload(*, event_id: str, event_type: str, payment: Payment, refund: Refund | None) -> dict:
    data: dict = {"object": payment_payload(payment)}
    if refund is not None:
        data["refund"] = refund_payload(refund)
    return {
        "id": event_id,
        "type": event_type,
        "created": int(time.time()),
        "data": data,
    }


def enqueue(*, payment: Payment, event_type: str, refund: Refund | None = None) -> list[int]:
    """Write a delivery per interested endpoint (in the caller's transaction); send on commit."""
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            merchant_id=payment.merchant_id, is_active=True
        )
        if endpoint.wants(event_type)
    ]
    if not endpoints:
        return []
    event_id = f"evt_{secrets.token_hex(12)}"
    payload = _payload(event_id=event_id, event_type=event_type, payment=payment, refund=refund)
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_type=event_type,
                event_id=event_id,
                payment=payment,
                payload=payload,
                next_attempt_at=timezone.now(),
            )
            for endpoint in endpoints
        ]
    )
    ids = [delivery.pk for delivery in deliveries]
    # robust: a broker that is down must not undo or fail the committed change; the
    # deliveries stay pending and the sweep (retry_due_webhooks) sends them.
    transaction.on_commit(lambda: _schedule(ids), robust=True)
    return ids


# Set while the embedded sweeper expires payments: with eager tasks a delivery enqueued
# then would be sent right there, and one slow receiver would hold up every expiry after
# it. The deliveries stay due instead, and the round's budgeted retry phase sends them.
_sending_deferred: ContextVar[bool] = ContextVar("webhook_sending_deferred", default=False)


@contextmanager
def sending_deferred() -> Iterator[None]:
    token = _sending_deferred.set(True)
    try:
        yield
    finally:
        _sending_deferred.reset(token)


def _schedule(ids: list[int]) -> None:
    from payments.tasks import deliver_webhook

    if _sending_deferred.get():
        return
    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)


def claim_due(*, delivery_id: int, lease_seconds: float) -> bool:
    """Take a due delivery for one try: its next try moves past the lease first, so that a
    sweep running alongside (beat starts one a minute; one can take longer) skips it
    instead of sending the same event again. False: not due any more, or taken."""
    now = timezone.now()
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + timedelta(seconds=lease_seconds))
    )


def backoff_seconds(attempts: int) -> int:
    return settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)


def attempt_delivery(*, delivery_id: int) -> WebhookDelivery:
    """One try, outside any transaction (network), then record the outcome."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.SUCCEEDED:
        return delivery
    if not delivery.endpoint.is_active:
        # The merchant switched it off (a leaked or wrong URL): nothing more goes there.
        return _give_up(delivery_id=delivery_id, error="endpoint disabled")
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "SmilePay-Webhooks/1",
        SIGNATURE_HEADER: sign(secret=delivery.endpoint.secret, body=body),
    }
    code: int | None = None
    error = ""
    try:
        code = outbound.post(
            delivery.endpoint.url,
            body=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
    except outbound.ForbiddenTarget as exc:
        error = f"refused: {exc}"[:300]
    except (requests.RequestException, OSError) as exc:
        error = type(exc).__name__ + (f": {exc}"[:280] if str(exc) else "")
    if code is not None and not 200 <= code < 300:
        error = f"HTTP {code}"
    return _record_outcome(delivery_id=delivery_id, code=code, error=error)


def _record_outcome(*, delivery_id: int, code: int | None, error: str) -> WebhookDelivery:
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.attempts += 1
        delivery.last_status_code = code
        ok = code is not None and 200 <= code < 300
        if ok:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            delivery.last_error = ""
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
            delivery.last_error = error or f"HTTP {code}"
        else:
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
            delivery.last_error = error or f"HTTP {code}"
        delivery.save(
            update_fields=[
                "attempts",
                "last_status_code",
                "status",
                "delivered_at",
                "next_attempt_at",
                "last_error",
            ]
        )
    return delivery


def _give_up(*, delivery_id: int, error: str) -> WebhookDelivery:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != WebhookDelivery.Status.PENDING:
            return delivery
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = error
        delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
    return delivery


def resend(*, delivery_id: int, merchant_id: int) -> WebhookDelivery:
    """A new delivery of the same event to the same endpoint (the merchant asked); not to
    an endpoint the merchant disabled."""
    with transaction.atomic():
        original = WebhookDelivery.objects.select_related("endpoint").get(
            pk=delivery_id, endpoint__merchant_id=merchant_id
        )
        if not original.endpoint.is_active:
            raise PaymentError(
                "endpoint_disabled", _("This endpoint is disabled: nothing is sent to it.")
            )
        copy = WebhookDelivery.objects.create(
            endpoint=original.endpoint,
            event_type=original.event_type,
            event_id=original.event_id,
            payment=original.payment,
            payload=original.payload,
            next_attempt_at=timezone.now(),
        )
        transaction.on_commit(lambda: _schedule([copy.pk]), robust=True)
    return copy
