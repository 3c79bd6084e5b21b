"""The customer's spending limits, read: what a payment would break. The match decides
under the wallet's lock (payments/transitions.py); the phone's confirm page asks before
the face scan (payments/selectors.py)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Sum
from django.utils import timezone

from payments.models import Payment


def daily_spent(customer_id: int, now: datetime) -> int:
    """What this customer's face and online payments hold or took today: counted by when
    the money was held (`matched_at`), not when the shop started the payment, so that a
    payment started before midnight and confirmed after it counts on the day it is paid.
    "Today" is the deployment's day (TIME_ZONE), not UTC's."""
    deployment_day = timezone.localtime(now, timezone.get_default_timezone())
    start = deployment_day.replace(hour=0, minute=0, second=0, microsecond=0)
    total = Payment.objects.filter(
        customer_id=customer_id,
        matched_at__gte=start,
        status__in=[
            Payment.Status.SUCCEEDED,
            Payment.Status.PARTIALLY_REFUNDED,
            Payment.Status.AWAITING_CONFIRMATION,
        ],
    ).aggregate(total=Sum("amount_minor"))["total"]
    return total or 0


def limit_refusal(payment: Payment, customer_id: int, limits, now) -> str:
    """The customer's limit this payment would break (a reason code), or ""."""
    per_payment = limits.per_payment_limit_minor
    if per_payment is not None and payment.amount_minor > per_payment:
        return "over_payment_limit"
    daily = limits.daily_limit_minor
    if daily is not None and daily_spent(customer_id, now) + payment.amount_minor > daily:
        return "over_daily_limit"
    return ""
