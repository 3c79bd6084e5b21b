"""Personas and builders for the payments tests: a café, its staff, and customers."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from merchants import services as merchant_services
from merchants.models import Kiosk, Merchant, MerchantMembership
from payments import services
from payments.models import LedgerEntry, Payment

_seq = itertools.count(1)


def customer(*, email: str | None = None, balance_minor: int = 0, currency: str = "USD"):
    n = next(_seq)
    user = get_user_model().objects.create_user(
        email or f"customer{n}@example.com",
        "pw-for-tests",
        full_name=f"Customer {n}",
        phone_e164=f"+1202555{n:04d}",
        phone_verified_at=timezone.now(),
    )
    if balance_minor:
        services.wallet_topup(user_id=user.pk, amount_minor=balance_minor, currency=currency)
    return user


def merchant(
    *, name: str | None = None, currency: str = "USD", return_hosts: str = "shop.example"
) -> Merchant:
    """A merchant whose shop (return URLs) is at shop.example."""
    n = next(_seq)
    return Merchant.objects.create(
        name=name or f"Café {n}", slug=f"cafe-{n}", currency=currency, return_hosts=return_hosts
    )


def staff(
    merchant_: Merchant, *, role: str = MerchantMembership.Role.OWNER, email: str | None = None
):
    n = next(_seq)
    user = get_user_model().objects.create_user(
        email or f"staff{n}@example.com", "pw-for-tests", full_name=f"Staff {n}"
    )
    MerchantMembership.objects.create(merchant=merchant_, user=user, role=role)
    return user


def kiosk(merchant_: Merchant, *, name: str = "Counter") -> Kiosk:
    return merchant_services.kiosk_create(merchant_id=merchant_.pk, name=name)


def kiosk_payment(
    merchant_: Merchant, *, amount_minor: int = 500, kiosk_: Kiosk | None = None
) -> Payment:
    kiosk_ = kiosk_ or kiosk(merchant_)
    return services.payment_create(
        merchant_id=merchant_.pk,
        kiosk_id=kiosk_.pk,
        amount_minor=amount_minor,
        currency=merchant_.currency,
    )


def matched_payment(
    merchant_: Merchant, customer_, *, amount_minor: int = 500, kiosk_=None
) -> Payment:
    """A kiosk payment waiting for the customer's confirmation (amount held)."""
    payment = kiosk_payment(merchant_, amount_minor=amount_minor, kiosk_=kiosk_)
    services.payment_start_matching(payment_id=payment.pk)
    return services.payment_match(payment_id=payment.pk, customer_id=customer_.pk)


def paid_payment(merchant_: Merchant, customer_, *, amount_minor: int = 500) -> Payment:
    payment = matched_payment(merchant_, customer_, amount_minor=amount_minor)
    return services.payment_approve(payment_id=payment.pk, customer_id=customer_.pk)


def api_key(merchant_: Merchant) -> str:
    """A live secret key of the merchant."""
    _, secret = merchant_services.api_key_create(merchant_id=merchant_.pk, name="tests")
    return secret


def ledger_total() -> int:
    """The sum of every ledger entry ever written: zero, always (double entry)."""
    return LedgerEntry.objects.aggregate(total=Sum("amount_minor"))["total"] or 0
