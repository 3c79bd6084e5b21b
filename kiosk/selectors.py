"""Reads for the kiosk: what its screen should show, and no more."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from accounts.selectors import push_subscription_count
from payments.models import Payment
from payments.selectors import payment_events


def masked_name(full_name: str) -> str:
    """ "Jane Doe" -> "J*** D.": enough for the customer to know it's them, no more."""
    parts = full_name.split()
    if not parts:
        return "Customer"
    first = parts[0][0].upper() + "***"
    return f"{first} {parts[-1][0].upper()}." if len(parts) > 1 else first


def kiosk_payment_state(*, payment: Payment) -> dict:
    """What the kiosk may know about a payment: never who it is beyond a masked name."""
    customer = payment.customer if payment.status != Payment.Status.FAILED else None
    return {
        "id": payment.pk,
        "status": payment.status,
        "reason": payment.reason,
        # The screen asks "is it over?" here rather than keeping a list of statuses.
        "final": payment.is_final,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "customer": masked_name(customer.full_name or "") if customer else None,
        "attempts": payment.match_attempts,
        "expires_at": payment.expires_at.isoformat(),
        "phone_unreachable": _phone_unreachable(payment),
    }


def _phone_unreachable(payment: Payment) -> bool:
    """No notification will reach the customer's phone (none turned on, or the push
    failed): the kiosk asks them to open SmilePay on their phone themselves."""
    if payment.status != Payment.Status.AWAITING_CONFIRMATION or payment.customer_id is None:
        return False
    if push_subscription_count(user_id=payment.customer_id) == 0:
        return True
    return payment_events(payment_id=payment.pk).filter(name="payment.push_failed").exists()


def since_this_device(kiosk_id: int) -> QuerySet[Payment]:
    """The kiosk's payments since the device on it was paired: a tablet paired later (a
    new one, or a stolen one paired by someone else) sees nothing of the counter's past,
    not even whom an earlier payment was for."""
    return Payment.objects.filter(kiosk_id=kiosk_id).filter(
        Q(kiosk__paired_at__isnull=True) | Q(created_at__gte=F("kiosk__paired_at"))
    )


def kiosk_payment(*, kiosk_id: int, payment_id: int) -> Payment | None:
    """A payment made at this kiosk by this device; None for any other."""
    return since_this_device(kiosk_id).filter(pk=payment_id).first()


def kiosk_current_payment(*, kiosk_id: int) -> Payment | None:
    """The payment on the kiosk's screen: the newest one still open, or just finished."""
    return (
        since_this_device(kiosk_id)
        .select_related("customer")
        .order_by("-created_at", "-pk")
        .first()
    )
