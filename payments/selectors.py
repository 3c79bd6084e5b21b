"""Reads, which never write. An overdue open payment is reported as expired (in memory)
so that nobody is shown "awaiting confirmation" for a payment that can no longer succeed;
writing the expiry down (hold released, webhook sent) belongs to the transitions, which
expire an overdue payment instead of moving it, and to the sweep (payments.tasks)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.query import ModelIterable
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent
from accounts.selectors import customer_id_by_contact, customer_limits
from payments.errors import NotFound
from payments.limits import limit_refusal
from payments.models import LedgerAccount, Payment, RecognitionAttempt
from smilepay.parsing import strict_id


def payment_events(*, payment_id: int) -> QuerySet[AuditEvent]:
    """A payment's audit trail, oldest first."""
    return AuditEvent.objects.filter(payment_id=payment_id).order_by("created_at", "id")


def as_seen(payment: Payment, now: datetime | None = None) -> Payment:
    """The payment as it stands now: open and past its expiry reads as expired, as the
    sweep will write it (the row itself is left to the sweep or the next transition)."""
    if payment.awaits_expiry and payment.expires_at <= (now or timezone.now()):
        payment.status = Payment.Status.EXPIRED
        payment.reason = "timeout"
        payment.held_minor = 0
        payment.decided_at = payment.expires_at
    return payment


class _SeenIterable(ModelIterable):
    """Payments of a list as they stand now (see as_seen)."""

    def __iter__(self):
        now = timezone.now()
        for payment in super().__iter__():
            yield as_seen(payment, now)


def _seen(queryset: QuerySet[Payment]) -> QuerySet[Payment]:
    # Django's own hook for what a queryset yields; it survives filter/slice/paginate.
    queryset = queryset.all()
    queryset._iterable_class = _SeenIterable
    return queryset


def _with_status(queryset: QuerySet[Payment], status: str) -> QuerySet[Payment]:
    """Filter on the status as reads report it (an overdue open payment is expired)."""
    now = timezone.now()
    overdue = Payment.awaiting_expiry_q() & Q(expires_at__lte=now)
    if status == Payment.Status.EXPIRED:
        return queryset.filter(Q(status=status) | overdue)
    if status in Payment.OPEN_STATUSES:
        return queryset.filter(status=status).exclude(overdue)
    return queryset.filter(status=status)


def payment_get(*, payment_id: int, merchant_id: int | None = None) -> Payment:
    """One payment (scoped to a merchant when given), as it stands now."""
    qs = Payment.objects.all()
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    return as_seen(qs.get(pk=payment_id))


def payment_for_customer(*, payment_id: int, customer_id: int) -> Payment:
    qs = Payment.objects.select_related("merchant", "kiosk").filter(customer_id=customer_id)
    return as_seen(qs.get(pk=payment_id))


def merchant_payments(
    *,
    merchant_id: int,
    status: str | None = None,
    kiosk_id: int | None = None,
    channel: str | None = None,
    created_gte=None,
    created_lt=None,
    search: str = "",
) -> QuerySet[Payment]:
    qs = _seen(Payment.objects.filter(merchant_id=merchant_id))
    if status:
        qs = _with_status(qs, status)
    if kiosk_id:
        qs = qs.filter(kiosk_id=kiosk_id)
    if channel:
        qs = qs.filter(channel=channel)
    if created_gte:
        qs = qs.filter(created_at__gte=created_gte)
    if created_lt:
        qs = qs.filter(created_at__lt=created_lt)
    if search:
        query = Q(description__icontains=search) | Q(customer__email__iexact=search)
        if (payment_id := strict_id(search)) is not None:
            query |= Q(pk=payment_id)
        qs = qs.filter(query)
    return qs.select_related("kiosk", "customer")


def customer_payments(*, customer_id: int) -> QuerySet[Payment]:
    return _seen(Payment.objects.filter(customer_id=customer_id)).select_related(
        "merchant", "kiosk"
    )


def customer_pending_confirmations(*, customer_id: int) -> QuerySet[Payment]:
    qs = Payment.objects.filter(
        customer_id=customer_id,
        status__in=[Payment.Status.AWAITING_CONFIRMATION, Payment.Status.CREATED],
    )
    return qs.filter(expires_at__gt=timezone.now()).select_related("merchant", "kiosk")


def customer_face_activity(*, customer_id: int) -> QuerySet[RecognitionAttempt]:
    """Attempts that matched or nearly matched this customer; `flagged_by_me` says whether
    they reported it (another look-alike's report is theirs, not this customer's)."""
    reported = RecognitionAttempt.flagged_by.through.objects.filter(
        recognitionattempt_id=OuterRef("pk"), user_id=customer_id
    )
    return (
        RecognitionAttempt.objects.filter(
            Q(customer_id=customer_id) | Q(near_customers__pk=customer_id)
        )
        .distinct()
        .annotate(flagged_by_me=Exists(reported))
        .select_related("kiosk__merchant", "payment__merchant")
    )


def payment_obstacle(*, payment: Payment, customer_id: int) -> str:
    """Why confirming this payment would be refused right now, as the reason code the
    refusal would carry ("" when nothing stands in the way): shown before the face scan,
    not after it. Read without locks; the confirmation itself decides."""
    refusal = limit_refusal(
        payment, customer_id, customer_limits(user_id=customer_id), timezone.now()
    )
    if refusal:
        return refusal
    wallet = LedgerAccount.objects.filter(
        kind=LedgerAccount.Kind.CUSTOMER, user_id=customer_id, currency=payment.currency
    ).first()
    available = wallet.balance_minor - wallet.held_minor if wallet else 0
    return "insufficient_funds" if available < payment.amount_minor - payment.held_minor else ""


def wallet_balance(*, user_id: int) -> list[LedgerAccount]:
    return list(
        LedgerAccount.objects.filter(kind=LedgerAccount.Kind.CUSTOMER, user_id=user_id).order_by(
            "currency"
        )
    )


def merchant_balance(*, merchant_id: int) -> list[LedgerAccount]:
    return list(
        LedgerAccount.objects.filter(
            kind=LedgerAccount.Kind.MERCHANT, merchant_id=merchant_id
        ).order_by("currency")
    )


def online_customer_id(*, phone_e164: str = "", email: str = "") -> int:
    """Who an online payment request goes to, by phone number (E.164) or e-mail; NotFound
    when no customer with a verified phone has it."""
    customer_id = customer_id_by_contact(phone_e164=phone_e164, email=email)
    if customer_id is None:
        if phone_e164:
            message, param = _("no SmilePay customer with this phone number"), "customer_phone"
        else:
            message, param = _("no SmilePay customer with this e-mail"), "customer_email"
        raise NotFound("customer_not_found", message, param=param)
    return customer_id
