"""Answering a payment from the notification's own Approve / Decline buttons, one tap.

The push that asks the customer carries a signed answer token for that payment and that
customer. The phone's service worker posts it back with the button tapped; no page, no
session cookie needed (a notification can be answered while no SmilePay tab is open).
The token travels only inside the end-to-end encrypted push to the customer's own
devices, names one payment, and dies with the payment's confirmation window; the answer
itself is the ordinary approve / decline transition, so a second tap changes nothing.
An online request needs the face check: its notification can decline, not approve.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from payments import services
from payments.answer_tokens import AnswerRefused, customer_of
from payments.errors import InvalidRequest
from payments.models import Payment
from payments.online.services import online_decline

ACTIONS = ("approve", "decline")


def payment_answer_from_push(*, payment_id: int, token: str, action: str) -> Payment:
    """Approve or decline as the customer the token names; idempotent like the page."""
    if action not in ACTIONS:
        raise InvalidRequest("invalid_action", _("Choose approve or decline."), param="action")
    customer_id = customer_of(token, payment_id)
    payment = Payment.objects.filter(
        pk=payment_id, customer_id=customer_id, customer__is_active=True
    ).first()
    if payment is None:  # not theirs, or an account deactivated or deleted since the push
        raise AnswerRefused("answer_invalid", _("This notification is not for this payment."))
    if action == "decline":
        if payment.channel == Payment.Channel.ONLINE:
            return online_decline(payment_id=payment_id, customer_id=customer_id)
        return services.payment_decline(payment_id=payment_id, customer_id=customer_id)
    if payment.channel == Payment.Channel.ONLINE:
        raise AnswerRefused("face_check_needed", _("Open SmilePay to confirm with your face."))
    return services.payment_approve(payment_id=payment_id, customer_id=customer_id)
