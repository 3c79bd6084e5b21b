"""A payment's audit events and the side effects of a status change.

Events are written with the one audit helper, `accounts.audit.audit` (one table,
`accounts.AuditEvent`; a payment's trail is its rows with that `payment_id`).

Everything here is called inside a service's transaction. Rows (events, webhook
deliveries) are written in that transaction; anything that leaves the database (the
signal, websocket and push notifications, Celery tasks) waits for the commit, and is
robust: a failure there (Redis or the broker down) is logged and never turns the
committed change into an error. What must still happen is found again by a sweep
(pending webhook deliveries; payments stuck in matching; overdue payments).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit
from accounts.language import in_language_of
from accounts.push import PushMessage
from accounts.services import notify_customer
from payments import webhooks
from payments.answer_tokens import answer_token
from payments.models import Payment
from payments.signals import payment_status_changed
from smilepay.money import format_money

# Status -> webhook event type; other statuses send no webhook.
WEBHOOK_FOR_STATUS = {
    Payment.Status.SUCCEEDED: "payment.succeeded",
    Payment.Status.DECLINED: "payment.declined",
    Payment.Status.EXPIRED: "payment.expired",
    Payment.Status.FAILED: "payment.failed",
}


def created(payment: Payment, **data: Any) -> None:
    """Audit a new payment and tell listeners (a kiosk shows one the API made for it)."""
    audit("payment.created", payment_id=payment.pk, data=data)
    _signal_on_commit(payment)


def shown_changed(payment: Payment) -> None:
    """The status stands but what a screen shows about it changed (a push failed):
    listeners re-read the payment on commit, as after a transition."""
    _signal_on_commit(payment)


def _signal_on_commit(payment: Payment) -> None:
    news = {
        "payment_id": payment.pk,
        "status": payment.status,
        "kiosk_id": payment.kiosk_id,
        "customer_id": payment.customer_id,
        "reason": payment.reason,
    }
    # A function, not a functools.partial: Django names a failing robust hook by its
    # __qualname__, which a partial lacks (the log line itself would raise, and the
    # transaction's later hooks would be dropped).
    transaction.on_commit(lambda: payment_status_changed.send(sender=Payment, **news), robust=True)


def status_changed(payment: Payment, *, previous: str, **data: Any) -> None:
    """Audit a transition and schedule what follows from it."""

    audit(
        f"payment.{payment.status}",
        payment_id=payment.pk,
        data={"previous": previous, "reason": payment.reason, **data},
    )
    event_type = WEBHOOK_FOR_STATUS.get(payment.status)
    if event_type:
        webhooks.enqueue(payment=payment, event_type=event_type)
    _signal_on_commit(payment)
    if payment.customer_id:
        event = {
            "type": "payment.status",
            "payment_id": payment.pk,
            "status": payment.status,
            "reason": payment.reason,
            # Pages decide "is it over?" from this, not from a list of statuses of their own.
            "final": payment.is_final,
        }
        customer_id = payment.customer_id
        transaction.on_commit(
            lambda: notify_customer(user_id=customer_id, event=event), robust=True
        )


def ask_customer_to_confirm(payment: Payment, *, merchant_name: str) -> None:
    """Push + websocket to the customer: a payment waits for their answer."""
    url = f"/me/payments/{payment.pk}/confirm/"

    def send() -> None:
        # The same transaction may have gone on to settle it (a face check on the phone
        # approves at once): then there is nothing left to ask.
        status = Payment.objects.filter(pk=payment.pk).values_list("status", flat=True).first()
        if status not in Payment.OPEN_STATUSES:
            return
        # The phone shows it as written: in the customer's language, not the kiosk's.
        with in_language_of(user_id=payment.customer_id):
            amount = format_money(payment.amount_minor, payment.currency)
            push = PushMessage(
                title=_("Confirm %(amount)s at %(merchant)s")
                % {"amount": amount, "merchant": merchant_name},
                body=_("Open to approve or decline this payment."),
                url=url,
                tag=f"payment-{payment.pk}",
                # An online request is approved by the face check on the page, not a tap.
                actions=[
                    *(
                        []
                        if payment.channel == Payment.Channel.ONLINE
                        else [{"action": "approve", "title": _("Approve")}]
                    ),
                    {"action": "decline", "title": _("Decline")},
                ],
                answer_url=f"/me/payments/{payment.pk}/answer/",
                answer_token=answer_token(payment_id=payment.pk, customer_id=payment.customer_id),
            )
        notify_customer(
            user_id=payment.customer_id,
            event={
                "type": "payment.confirmation_requested",
                "payment_id": payment.pk,
                "amount_minor": payment.amount_minor,
                "currency": payment.currency,
                "merchant": merchant_name,
                "url": url,
            },
            push=push,
        )

    transaction.on_commit(send, robust=True)
