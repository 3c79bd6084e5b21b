"""Reads. Reading an overdue open payment expires it first (through the service), so
nobody is ever shown "awaiting confirmation" for a payment that can no longer succeed.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.selectors import customer_id_by_contact
from payments.errors import NotFound
from payments.models import (
    Kiosk,
    LedgerAccount,
    MerchantMembership,
    Payment,
    RecognitionAttempt,
)
from smilepay.parsing import strict_id


def payment_events(*, payment_id: int) -> QuerySet[AuditEvent]:
    """A payment's audit trail, oldest first."""
    return AuditEvent.objects.filter(payment_id=payment_id).order_by("created_at", "id")


def _expired_if_due(payment: Payment) -> Payment:
    if payment.is_open and payment.expires_at <= timezone.now():
        from payments.transitions import payment_expire

        return payment_expire(payment_id=payment.pk)
    return payment


def expire_overdue(queryset: QuerySet[Payment], *, limit: int = 100) -> int:
    """Expire the overdue open payments a list is about to show."""
    from payments.transitions import payment_expire

    due = list(
        queryset.filter(status__in=Payment.OPEN_STATUSES, expires_at__lte=timezone.now())
        .order_by()
        .values_list("pk", flat=True)[:limit]
    )
    for payment_id in due:
        payment_expire(payment_id=payment_id)
    return len(due)


def payment_get(*, payment_id: int, merchant_id: int | None = None) -> Payment:
    """One payment (scoped to a merchant when given), expired lazily if overdue."""
    qs = Payment.objects.all()
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    return _expired_if_due(qs.get(pk=payment_id))


def payment_for_customer(*, payment_id: int, customer_id: int) -> Payment:
    qs = Payment.objects.select_related("merchant", "kiosk").filter(customer_id=customer_id)
    payment = _expired_if_due(qs.get(pk=payment_id))
    return payment


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
    qs = Payment.objects.filter(merchant_id=merchant_id)
    expire_overdue(qs)
    if status:
        qs = qs.filter(status=status)
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
    qs = Payment.objects.filter(customer_id=customer_id)
    expire_overdue(qs)
    return qs.select_related("merchant", "kiosk")


def customer_pending_confirmations(*, customer_id: int) -> QuerySet[Payment]:
    qs = Payment.objects.filter(
        customer_id=customer_id,
        status__in=[Payment.Status.AWAITING_CONFIRMATION, Payment.Status.CREATED],
    )
    expire_overdue(qs)
    return qs.filter(expires_at__gt=timezone.now()).select_related("merchant", "kiosk")


def customer_face_activity(*, customer_id: int) -> QuerySet[RecognitionAttempt]:
    """Attempts that matched or nearly matched this customer."""
    return (
        RecognitionAttempt.objects.filter(
            Q(customer_id=customer_id) | Q(near_customers__pk=customer_id)
        )
        .distinct()
        .select_related("kiosk__merchant", "payment")
    )


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
            message, param = "no SmilePay customer with this phone number", "customer_phone"
        else:
            message, param = "no SmilePay customer with this e-mail", "customer_email"
        raise NotFound("customer_not_found", message, param=param)
    return customer_id


def merchant_kiosks(*, merchant_id: int) -> QuerySet[Kiosk]:
    return Kiosk.objects.filter(merchant_id=merchant_id).order_by("name")


def memberships_of(*, user_id: int) -> QuerySet[MerchantMembership]:
    return MerchantMembership.objects.filter(user_id=user_id).select_related("merchant")
