"""The payment state machine. Re-exported by payments.services (see docs/contracts.md).

The allowed moves are one table, `Payment.TRANSITIONS` (next to the statuses, so that
the model's `is_final` / `is_retryable` read it too); every status change goes through
`move()`, which refuses any other. docs/payments.md draws the same table (checked by
tests/payments/test_transitions.py).

Each transition: one transaction, the payment row re-read under a lock, an early return
when it has already moved, `save(update_fields=...)`, an audit event; side effects only
on commit (payments.events).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit
from accounts.selectors import customer_limits
from merchants.models import Kiosk, Merchant
from merchants.return_urls import return_url_problem
from payments import events, postings
from payments.errors import (
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    NotYourPayment,
    PaymentError,
)
from payments.limits import limit_refusal
from payments.models import LedgerTransaction, Payment, RecognitionAttempt
from smilepay import money

Status = Payment.Status
TRANSITIONS = Payment.TRANSITIONS
_FIELDS = ["status", "reason", "held_minor", "decided_at", "updated_at"]


class IllegalTransition(PaymentError):
    """A move the state machine does not allow: a bug in the caller, never an input."""

    def __init__(self, previous: str, to: str) -> None:
        super().__init__(
            "illegal_transition", f"a payment cannot go from {previous} to {to}", param=None
        )
        self.previous = previous
        self.to = to


def can_move(previous: str, to: str) -> bool:
    return to in TRANSITIONS.get(previous, frozenset())


def move(payment: Payment, to: str) -> str:
    """Set the status of a locked payment to `to` if the table allows it; the old status.

    The caller saves (with its own update_fields) and records the event."""
    previous = payment.status
    if not can_move(previous, to):
        raise IllegalTransition(previous, to)
    payment.status = to
    return previous


def _lock(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


def _lock_customers(payment_id: int, customer_id: int) -> Payment:
    """The payment under lock, refused unless it was matched to this customer."""
    payment = _lock(payment_id)
    if payment.customer_id != customer_id:
        raise NotYourPayment("not_your_payment", _("this payment is not yours"))
    return payment


def _validate_money(amount_minor: int, currency: str, merchant: Merchant) -> None:
    """A positive whole amount in the merchant's own currency, within its maximum."""
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise InvalidRequest(
            "invalid_amount", _("amount_minor must be a positive integer"), param="amount_minor"
        )
    if not isinstance(currency, str) or not money.is_currency(currency):
        raise InvalidRequest(
            "invalid_currency",
            f"{str(currency)[:8]!r} is not an ISO 4217 currency code",
            param="currency",
        )
    if currency != merchant.currency:
        raise InvalidRequest(
            "currency_not_accepted",
            _("this merchant takes payments in %(currency)s only")
            % {"currency": merchant.currency},
            param="currency",
        )
    cap = merchant.payment_cap_minor
    if amount_minor > cap:
        raise InvalidRequest(
            "amount_too_large",
            _("the most one payment may be here is %(amount)s")
            % {"amount": money.format_money(cap, currency)},
            param="amount_minor",
        )


def payment_create(
    *,
    merchant_id: int,
    amount_minor: int,
    currency: str,
    kiosk_id: int | None = None,
    customer_id: int | None = None,
    description: str = "",
    return_url: str = "",
    expires_in: timedelta | None = None,
    idempotency_key: str = "",
    request_fingerprint: str = "",
) -> Payment:
    """A kiosk payment (kiosk_id) or an online request to a known customer (customer_id).

    With an `idempotency_key` the same key returns the payment it created, and refuses
    (IdempotencyConflict) when `request_fingerprint` shows it was another request.
    """
    if kiosk_id is None and customer_id is None:
        raise InvalidRequest("kiosk_or_customer_required", _("give a kiosk or a customer"))
    expires_in = expires_in or timedelta(seconds=settings.PAYMENT_TTL_SECONDS)
    with transaction.atomic():
        merchant = Merchant.objects.get(pk=merchant_id)
        kiosk = None
        if kiosk_id is not None:
            kiosk = Kiosk.objects.filter(pk=kiosk_id, merchant=merchant).first()
            if kiosk is None:
                raise NotFound("resource_missing", _("no such kiosk"), param="kiosk_id")
        if return_url:
            problem = return_url_problem(return_url, registered=merchant.return_host_list)
            if problem:
                raise InvalidRequest("invalid_return_url", problem, param="return_url")
        if idempotency_key:
            existing = Payment.objects.filter(
                merchant=merchant, idempotency_key=idempotency_key
            ).first()
            if existing is not None:
                _same_request(existing.request_fingerprint, request_fingerprint)
                return existing
        _validate_money(amount_minor, currency, merchant)
        if kiosk is not None and not kiosk.is_active:
            raise PaymentError("kiosk_revoked", _("this kiosk has been revoked"), param="kiosk_id")
        payment = Payment.objects.create(
            merchant=merchant,
            kiosk_id=kiosk_id,
            customer_id=customer_id,
            channel=Payment.Channel.KIOSK if kiosk_id else Payment.Channel.ONLINE,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            return_url=return_url,
            idempotency_key=idempotency_key,
            request_fingerprint=request_fingerprint if idempotency_key else "",
            expires_at=timezone.now() + expires_in,
        )
        events.created(payment, amount_minor=amount_minor, currency=currency)
        if payment.channel == Payment.Channel.ONLINE:
            events.ask_customer_to_confirm(payment, merchant_name=merchant.name)
    return payment


def _same_request(stored: str, given: str) -> None:
    if stored and given and stored != given:
        raise IdempotencyConflict(
            "idempotency_key_reused", _("this Idempotency-Key was used with another request")
        )


def payment_start_matching(*, payment_id: int) -> Payment:
    """created|failed -> matching (a recognition try begins)."""
    with transaction.atomic():
        payment = _lock(payment_id)
        if payment.status not in (Status.CREATED, Status.FAILED):
            return payment
        if _is_overdue(payment) and payment.awaits_expiry:
            return _expire(payment)
        if payment.match_attempts >= settings.PAYMENT_MAX_MATCH_ATTEMPTS:
            raise PaymentError("too_many_attempts", _("no recognition tries left for this payment"))
        previous = move(payment, Status.MATCHING)
        payment.reason = ""
        payment.match_attempts += 1
        payment.save(update_fields=[*_FIELDS, "match_attempts"])
        events.status_changed(payment, previous=previous, attempt=payment.match_attempts)
    return payment


def payment_fail(*, payment_id: int, reason: str, attempt: int | None = None) -> Payment:
    """matching -> failed (no face, not live, no match, ambiguous...); may be retried.

    `attempt`: only if the payment is still in that recognition try (a late answer of an
    abandoned try must not fail the next one). An online payment request whose last try
    fails, for whatever reason (the sweep's time-out too), fails for good with
    `too_many_attempts`: the merchant learns no retry is left, and it never expires later.
    A kiosk payment keeps the try's own reason for the cashier's screen.
    """
    with transaction.atomic():
        payment = _lock(payment_id)
        if payment.status != Status.MATCHING or not _in_attempt(payment, attempt):
            return payment
        previous = move(payment, Status.FAILED)
        if _last_online_try(payment):
            reason = Payment.EXHAUSTED_REASON
        payment.reason = reason[:64]
        payment.save(update_fields=_FIELDS)
        events.status_changed(payment, previous=previous)
    return payment


def _in_attempt(payment: Payment, attempt: int | None) -> bool:
    return attempt is None or payment.match_attempts == attempt


def _last_online_try(payment: Payment) -> bool:
    return (
        payment.channel == Payment.Channel.ONLINE
        and payment.match_attempts >= settings.PAYMENT_MAX_MATCH_ATTEMPTS
    )


def payment_match(
    *,
    payment_id: int,
    customer_id: int,
    attempt_id: int | None = None,
    allow_auto_approve: bool = True,
    attempt: int | None = None,
) -> Payment:
    """matching -> awaiting_confirmation with the amount held on the customer's wallet.

    Refused (declined with a reason) when the customer's limits or balance don't allow
    it; approved at once when the amount is below the customer's auto-approve level,
    unless the caller withholds that (``allow_auto_approve=False``: a search too wide
    to trust the match without the phone). `attempt` as in `payment_fail`.

    The customer's wallet is locked before the limits are read and counted, so that
    concurrent matches of one customer are decided one after the other: each sees the
    amounts the earlier ones held.
    """
    with transaction.atomic():
        payment = _lock(payment_id)
        if payment.status != Status.MATCHING or not _in_attempt(payment, attempt):
            return payment
        if _is_overdue(payment):
            return _expire(payment)
        if payment.customer_id is not None and payment.customer_id != customer_id:
            raise NotYourPayment("customer_mismatch", _("this payment is for another customer"))
        wallet = postings.wallet_for(user_id=customer_id, currency=payment.currency)
        wallet = postings.lock_accounts(wallet)[wallet.pk]
        limits = customer_limits(user_id=customer_id)
        now = timezone.now()
        payment.customer_id = customer_id
        refusal = limit_refusal(payment, customer_id, limits, now)
        if refusal:
            return _decline(payment, reason=refusal)
        try:
            postings.place_hold(wallet, payment.amount_minor)
        except postings.InsufficientFunds:
            return _decline(payment, reason="insufficient_funds")
        previous = move(payment, Status.AWAITING_CONFIRMATION)
        payment.held_minor = payment.amount_minor
        payment.matched_at = now
        payment.expires_at = now + timedelta(seconds=settings.PAYMENT_CONFIRMATION_SECONDS)
        payment.save(update_fields=[*_FIELDS, "customer", "matched_at", "expires_at"])
        if attempt_id is not None:
            RecognitionAttempt.objects.filter(pk=attempt_id, customer__isnull=True).update(
                customer_id=customer_id
            )
        events.status_changed(payment, previous=previous, attempt_id=attempt_id)
        auto_below = limits.auto_approve_below_minor or 0
        if payment.amount_minor < auto_below:
            if allow_auto_approve:
                return _capture(payment, auto_approved=True)
            audit(
                "payment.auto_approve_withheld",
                payment_id=payment.pk,
                data={"reason": "wide_search"},
            )
        events.ask_customer_to_confirm(payment, merchant_name=payment.merchant.name)
    return payment


def payment_approve(*, payment_id: int, customer_id: int) -> Payment:
    """awaiting_confirmation -> succeeded: the customer's wallet pays the merchant."""
    with transaction.atomic():
        payment = _lock_customers(payment_id, customer_id)
        if payment.status != Status.AWAITING_CONFIRMATION:
            return payment
        if _is_overdue(payment):
            return _expire(payment)
        return _capture(payment, auto_approved=False)


def payment_decline(*, payment_id: int, customer_id: int, before_match: bool = False) -> Payment:
    """awaiting_confirmation -> declined (customer_declined), releasing the hold.

    `before_match`: the customer may also refuse an online request they have not been
    matched to yet (created|matching|failed; nothing is held then); an overdue one
    expires instead. A failed payment with no tries left stays as it is.
    """
    with transaction.atomic():
        payment = _lock_customers(payment_id, customer_id)
        if payment.status == Status.AWAITING_CONFIRMATION:
            return _decline(payment, reason="customer_declined")
        if not before_match or payment.is_final:
            return payment
        if _is_overdue(payment):
            return _expire(payment)
        return _decline(payment, reason="customer_declined")


def payment_expire(*, payment_id: int, force: bool = False) -> Payment:
    """Open and past its expiry (or `force`) -> expired, releasing any hold."""
    with transaction.atomic():
        payment = _lock(payment_id)
        if not payment.awaits_expiry:
            return payment
        if not force and not _is_overdue(payment):
            return payment
        return _expire(payment)


def payment_cancel(*, payment_id: int, reason: str = "canceled") -> Payment:
    """Any open payment -> canceled (merchant or kiosk gave up), releasing any hold; an
    overdue one expires instead (reads already reported it expired)."""
    with transaction.atomic():
        payment = _lock(payment_id)
        if payment.status not in Payment.OPEN_STATUSES:
            return payment
        if _is_overdue(payment) and payment.awaits_expiry:
            return _expire(payment)
        return _close(payment, Status.CANCELED, reason=reason)


def _is_overdue(payment: Payment) -> bool:
    return payment.expires_at <= timezone.now()


def _expire(payment: Payment) -> Payment:
    return _close(payment, Status.EXPIRED, reason="timeout")


def _decline(payment: Payment, *, reason: str) -> Payment:
    return _close(payment, Status.DECLINED, reason=reason)


def _close(payment: Payment, status: str, *, reason: str) -> Payment:
    """Move a locked open payment to a final state without money moving."""
    previous = move(payment, status)
    if payment.held_minor:
        wallet = postings.wallet_for(user_id=payment.customer_id, currency=payment.currency)
        wallet = postings.lock_accounts(wallet)[wallet.pk]
        postings.release_hold(wallet, payment.held_minor)
        audit(
            "payment.hold_released",
            payment_id=payment.pk,
            data={"amount_minor": payment.held_minor},
        )
    payment.reason = reason[:64]
    payment.held_minor = 0
    payment.decided_at = timezone.now()
    payment.save(update_fields=[*_FIELDS, "customer"])
    events.status_changed(payment, previous=previous)
    return payment


def _capture(payment: Payment, *, auto_approved: bool) -> Payment:
    wallet = postings.wallet_for(user_id=payment.customer_id, currency=payment.currency)
    till = postings.merchant_account_for(merchant_id=payment.merchant_id, currency=payment.currency)
    rows = postings.lock_accounts(wallet, till)
    wallet, till = rows[wallet.pk], rows[till.pk]
    postings.post(
        kind=LedgerTransaction.Kind.CAPTURE,
        lines=[(wallet, -payment.amount_minor), (till, payment.amount_minor)],
        payment_id=payment.pk,
        release_held={wallet.pk: payment.held_minor},
        memo=f"payment {payment.pk}",
    )
    previous = move(payment, Status.SUCCEEDED)
    payment.reason = "auto_approved" if auto_approved else ""
    payment.held_minor = 0
    payment.decided_at = timezone.now()
    payment.save(update_fields=_FIELDS)
    events.status_changed(payment, previous=previous, auto_approved=auto_approved)
    return payment
