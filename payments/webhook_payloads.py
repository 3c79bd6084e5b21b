"""What webhooks (and the API, whose serializers reuse it) say about a payment or a refund:
plain dicts of JSON types, so the domain that sends webhooks does not depend on the API
layer. The shape is the public contract of docs/webhooks.md and docs/api.md."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from payments.models import Payment, Refund


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in the deployment's time zone, UTC written "Z" (what the API always said)."""
    if value is None:
        return None
    # The deployment's zone, not a reader's (a webhook sent during a customer's request).
    text = timezone.localtime(value, timezone.get_default_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def refund_payload(refund: Refund) -> dict:
    return {
        "id": refund.pk,
        "object": "refund",
        "payment_id": refund.payment_id,
        "amount_minor": refund.amount_minor,
        "reason": refund.reason,
        "created_at": timestamp(refund.created_at),
    }


def payment_payload(payment: Payment) -> dict:
    return {
        "id": payment.pk,
        "object": "payment",
        "status": str(payment.status),
        "reason": payment.reason,
        "channel": str(payment.channel),
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "amount_refunded_minor": payment.refunded_minor,
        "kiosk_id": payment.kiosk_id,
        "description": payment.description,
        "return_url": payment.return_url,
        "expires_at": timestamp(payment.expires_at),
        "created_at": timestamp(payment.created_at),
        "decided_at": timestamp(payment.decided_at),
        "refunds": [refund_payload(refund) for refund in payment.refunds.all()],
    }
