"""What payments adds to the customer's live channel (/ws/customer/).

On connect (and on each "refresh" the page asks for) the consumer sends a state message;
`pending_confirmations_state` adds the payments waiting for the customer's answer, so a
portal page that was asleep or lost its connection shows them without a reload. When a
push for a payment cannot be delivered, the kiosk is told to say "open SmilePay on your
phone" (`on_push_failed`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit
from payments import events, selectors
from payments.labels import obstacle_sentence
from payments.models import Payment
from payments.templatetags.money import money


def _place(payment: Payment) -> str:
    if payment.kiosk is None:
        return _("online")
    return ", ".join(part for part in (payment.kiosk.name, payment.kiosk.location) if part)


def waiting_obstacle(payment: Payment) -> str:
    """Why confirming this waiting online request would be refused now, in the
    customer's words ("" when nothing stands in the way; a kiosk match is past that)."""
    if payment.status == Payment.Status.AWAITING_CONFIRMATION or payment.customer_id is None:
        return ""
    return obstacle_sentence(
        selectors.payment_obstacle(payment=payment, customer_id=payment.customer_id)
    )


def pending_confirmation(payment: Payment) -> dict:
    """One waiting payment as the portal page renders it."""
    return {
        "payment_id": payment.pk,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "amount": money(payment.amount_minor, payment.currency),
        "merchant": payment.merchant.name,
        "place": _place(payment),
        "channel": payment.channel,
        # A kiosk match is answered with Approve/Decline; an online request needs the
        # face check on its own page first.
        "answer_here": payment.status == Payment.Status.AWAITING_CONFIRMATION,
        # Said on the card, before the customer opens a face check that would be refused.
        "obstacle": waiting_obstacle(payment),
        "expires_at": payment.expires_at.isoformat(),
        "url": f"/me/payments/{payment.pk}/confirm/",
    }


def pending_confirmations_state(sender, *, user_id: int, **kwargs) -> dict:
    """Receiver of accounts.signals.customer_state_requested."""
    waiting = selectors.customer_pending_confirmations(customer_id=user_id).order_by("expires_at")
    return {"pending": [pending_confirmation(p) for p in waiting]}


def on_push_failed(sender, *, user_id: int, tag: str = "", **kwargs) -> None:
    """Receiver of accounts.signals.push_failed: a confirmation request did not reach a
    phone, so the kiosk asks the customer to open SmilePay themselves."""
    if not tag.startswith("payment-") or not tag[len("payment-") :].isdigit():
        return
    payment_id = int(tag[len("payment-") :])
    with transaction.atomic():
        payment = Payment.objects.filter(
            pk=payment_id, customer_id=user_id, status=Payment.Status.AWAITING_CONFIRMATION
        ).first()
        if payment is None:
            return
        audit("payment.push_failed", payment_id=payment.pk)
        events.shown_changed(payment)
