"""The signed token a payment's push carries, so that a tap on the notification's button
answers as that customer, for that payment only, while it may still be answered
(payments/push_answers.py)."""

from __future__ import annotations

from django.core import signing
from django.utils.translation import gettext as _

from payments.errors import PaymentError

SALT = "smilepay.payments.push-answer"
MAX_AGE_SECONDS = 86_400 + 60


class AnswerRefused(PaymentError):
    http_status = 403


def answer_token(*, payment_id: int, customer_id: int) -> str:
    return signing.dumps({"payment": payment_id, "customer": customer_id}, salt=SALT)


def customer_of(token: str, payment_id: int) -> int:
    # A token outlives no request it could answer (online ones wait a day at most); whether
    # this one may still be answered is the payment's own expiry, checked by the answer.
    try:
        claims = signing.loads(token or "", salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise AnswerRefused(
            "answer_expired", _("This notification has expired: open SmilePay to answer.")
        ) from exc
    except signing.BadSignature as exc:
        raise AnswerRefused(
            "answer_invalid", _("This notification is not for this payment.")
        ) from exc
    if not isinstance(claims, dict) or claims.get("payment") != payment_id:
        raise AnswerRefused("answer_invalid", _("This notification is not for this payment."))
    return int(claims["customer"])
