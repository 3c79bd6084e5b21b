"""Builders the adversarial stack runs inside its own processes (`Stack.build`).

Each returns plain JSON-able data: ids, secrets, cookies. They go through the services,
like an operator or a merchant would, never around them.
"""

from __future__ import annotations

import itertools
import json
import secrets
import sys
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from accounts.models import FaceProfile, User
from merchants import services as merchant_services
from merchants.models import Merchant
from merchants.services import kiosk_pair
from payments import services
from payments.models import Payment

_seq = itertools.count()


def _tag() -> str:
    return f"{secrets.token_hex(4)}{next(_seq)}"


def merchant(*, currency: str = "USD", webhook_url: str = "") -> dict:
    tag = _tag()
    cafe = Merchant.objects.create(name=f"Adversarial {tag}", slug=f"adv-{tag}", currency=currency)
    _, api_key = merchant_services.api_key_create(merchant_id=cafe.pk, name="adversarial")
    kiosk = merchant_services.kiosk_create(merchant_id=cafe.pk, name="Counter")
    token = kiosk_pair(
        code=merchant_services.kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
    ).device_token
    hook = {}
    if webhook_url:
        endpoint = merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url=webhook_url)
        hook = {"webhook_secret": endpoint.secret}
    return {
        "id": cafe.pk,
        "currency": currency,
        "api_key": api_key,
        "kiosk_id": kiosk.pk,
        "kiosk_token": token,
        **hook,
    }


def customer(
    *,
    balance_minor: int = 0,
    currency: str = "USD",
    daily_limit_minor: int | None = None,
    auto_approve_below_minor: int = 0,
    password: str = "adversarial-pw",  # noqa: S107 - a test customer's
) -> dict:
    tag = _tag()
    user = User.objects.create_user(
        f"adv-{tag}@example.com",
        password,
        full_name=f"Adversarial Customer {tag}",
        # A valid number (its exchange never starts with 0 or 1), random among runs.
        phone_e164=f"+1202{200 + secrets.randbelow(800)}{secrets.randbelow(10**4):04d}",
        phone_verified_at=timezone.now(),
    )
    if daily_limit_minor is not None or auto_approve_below_minor:
        FaceProfile.objects.update_or_create(
            user=user,
            defaults={
                "daily_limit_minor": daily_limit_minor,
                "auto_approve_below_minor": auto_approve_below_minor,
            },
        )
    if balance_minor:
        services.wallet_topup(user_id=user.pk, amount_minor=balance_minor, currency=currency)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {
        "id": user.pk,
        "email": user.email,
        "password": password,
        "session": session.session_key,
    }


def paid_payment(*, merchant_id: int, customer_id: int, amount_minor: int) -> dict:
    """A kiosk payment the customer has approved (captured), to refund."""
    cafe = Merchant.objects.get(pk=merchant_id)
    kiosk = cafe.kiosks.first()
    payment = services.payment_create(
        merchant_id=cafe.pk, kiosk_id=kiosk.pk, amount_minor=amount_minor, currency=cafe.currency
    )
    services.payment_start_matching(payment_id=payment.pk)
    services.payment_match(payment_id=payment.pk, customer_id=customer_id)
    payment = services.payment_approve(payment_id=payment.pk, customer_id=customer_id)
    assert payment.status == Payment.Status.SUCCEEDED, payment.reason
    return {"id": payment.pk}


def expire_now(*, payment_ids: list[int]) -> dict:
    """Move deadlines to now (as if the customer waited too long); the sweep does the rest."""
    moved = Payment.objects.filter(pk__in=payment_ids).update(
        expires_at=timezone.now() - timedelta(milliseconds=1)
    )
    return {"moved": moved}


def emit(value: dict) -> None:
    """The last line a build prints is its JSON answer."""
    sys.stdout.write("\n" + json.dumps(value) + "\n")
