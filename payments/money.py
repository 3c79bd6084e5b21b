"""Refunds and wallet top-ups. Re-exported by payments.services."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit
from payments import events, postings, webhooks
from payments.errors import IdempotencyConflict, InvalidRequest, PaymentError
from payments.labels import status_label
from payments.models import LedgerTransaction, Payment, Refund
from payments.transitions import move
from smilepay.money import format_money

Status = Payment.Status


def payment_refund(
    *,
    payment_id: int,
    amount_minor: int | None = None,
    reason: str = "",
    created_by_id: int | None = None,
    expected_refunded_minor: int | None = None,
    idempotency_key: str = "",
    request_fingerprint: str = "",
) -> Refund:
    """Give back all (amount_minor=None) or part of a captured payment.

    `expected_refunded_minor` lets a form refuse a second click that was made against a
    page showing an older state of the payment. `idempotency_key`: a second call with
    the same key returns the first refund (refused if `request_fingerprint` differs);
    the database's unique constraint stands behind it.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if idempotency_key:
            earlier = payment.refunds.filter(idempotency_key=idempotency_key).first()
            if earlier is not None:
                if request_fingerprint and earlier.request_fingerprint not in (
                    "",
                    request_fingerprint,
                ):
                    raise IdempotencyConflict(
                        "idempotency_key_reused",
                        _("this Idempotency-Key was used with another request"),
                    )
                return earlier
        if (
            expected_refunded_minor is not None
            and payment.refunded_minor != expected_refunded_minor
        ):
            raise PaymentError(
                "stale_request", _("the payment changed meanwhile; reload and retry")
            )
        refundable = payment.refundable_minor
        if refundable <= 0:
            raise PaymentError(
                "not_refundable",
                _("a payment that is “%(status)s” cannot be refunded")
                % {"status": status_label(payment.status)},
            )
        amount = refundable if amount_minor is None else amount_minor
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise InvalidRequest(
                "invalid_amount", _("amount_minor must be positive"), param="amount_minor"
            )
        if amount > refundable:
            raise InvalidRequest(
                "amount_exceeds_refundable",
                _("at most %(amount)s can still be refunded")
                % {"amount": format_money(refundable, payment.currency)},
                param="amount_minor",
            )
        refund = Refund.objects.create(
            payment=payment,
            amount_minor=amount,
            reason=reason[:200],
            created_by_id=created_by_id,
            idempotency_key=idempotency_key,
            request_fingerprint=request_fingerprint if idempotency_key else "",
        )
        wallet = postings.wallet_for(user_id=payment.customer_id, currency=payment.currency)
        till = postings.merchant_account_for(
            merchant_id=payment.merchant_id, currency=payment.currency
        )
        rows = postings.lock_accounts(wallet, till)
        postings.post(
            kind=LedgerTransaction.Kind.REFUND,
            lines=[(rows[till.pk], -amount), (rows[wallet.pk], amount)],
            payment_id=payment.pk,
            refund_id=refund.pk,
            memo=f"refund {refund.pk} of payment {payment.pk}",
        )
        payment.refunded_minor += amount
        full = payment.refunded_minor == payment.amount_minor
        previous = move(payment, Status.REFUNDED if full else Status.PARTIALLY_REFUNDED)
        payment.save(update_fields=["refunded_minor", "status", "updated_at"])
        events.status_changed(payment, previous=previous, refund_id=refund.pk, amount_minor=amount)
        webhooks.enqueue(payment=payment, event_type="payment.refunded", refund=refund)
    return refund


def wallet_topup(
    *, user_id: int, amount_minor: int, currency: str | None = None, memo: str = ""
) -> LedgerTransaction:
    """Demo money: the operator's funding account pays into a customer's wallet."""
    currency = currency or settings.DEFAULT_CURRENCY
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidRequest("invalid_amount", _("amount_minor must be a positive integer"))
    get_user_model().objects.get(pk=user_id)
    with transaction.atomic():
        wallet = postings.wallet_for(user_id=user_id, currency=currency)
        funding = postings.funding_account_for(currency=currency)
        rows = postings.lock_accounts(wallet, funding)
        txn = postings.post(
            kind=LedgerTransaction.Kind.TOPUP,
            lines=[(rows[funding.pk], -amount_minor), (rows[wallet.pk], amount_minor)],
            memo=memo or "top-up",
        )
        audit(
            "wallet.topped_up",
            data={
                "user_id": user_id,
                "amount_minor": amount_minor,
                "currency": currency,
                "transaction_id": txn.pk,
            },
        )
    return txn
