"""Data for the kiosk browser test, created inside the live server's database.

Run through `live.shell(...)`, so it uses the server's own settings (database, master
key, VAPID keys). Prints one JSON line with what the test needs.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from accounts.push import push_subscribe
from merchants import services as merchant_services
from merchants.models import Merchant
from payments import services as payment_services
from tests.accounts.conftest import PASSWORD, enroll, make_customer

CUSTOMER_EMAIL = "adrien@example.com"


def lfw(name: str, index: int) -> bytes:
    return (Path(settings.FACES_DIR) / "lfw-dev" / name / f"{name}_{index:04d}.jpg").read_bytes()


def prepare(*, push_endpoint: str, p256dh: str, auth: str) -> None:
    merchant = Merchant.objects.create(name="Corner Café", slug="corner-cafe")
    kiosk = merchant_services.kiosk_create(merchant_id=merchant.pk, name="Counter 1")
    adrien = make_customer(CUSTOMER_EMAIL, "+12025550101", name="Adrien Brody", consent=True)
    enroll(adrien, [lfw("Adrien_Brody", i) for i in (1, 3, 6)], self_check=lfw("Adrien_Brody", 11))
    payment_services.wallet_topup(user_id=adrien.pk, amount_minor=10_000)
    push_subscribe(
        user_id=adrien.pk, endpoint=push_endpoint, p256dh=p256dh, auth=auth, user_agent="phone"
    )
    code = merchant_services.kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
    print(json.dumps({"code": code, "customer_id": adrien.pk, "password": PASSWORD}))


def ledger_state(*, customer_id: int) -> None:
    from payments.models import LedgerAccount, Payment

    wallet = LedgerAccount.objects.get(kind="customer", user_id=customer_id)
    merchant = LedgerAccount.objects.get(kind="merchant")
    payment = Payment.objects.get()
    print(
        json.dumps(
            {
                "wallet": wallet.balance_minor,
                "held": wallet.held_minor,
                "merchant": merchant.balance_minor,
                "status": payment.status,
            }
        )
    )


def always_ask_digits(*, customer_id: int) -> None:
    """The customer ticks "always ask me for the last four digits" in their settings."""
    from accounts.services import SettingsChange, customer_settings_update

    customer_settings_update(
        user_id=customer_id,
        change=SettingsChange(
            always_require_phone_digits=True,
            per_payment_limit_minor=None,
            daily_limit_minor=None,
            auto_approve_below_minor=0,
        ),
    )


def match_attempts() -> None:
    from payments.models import Payment

    print(json.dumps(list(Payment.objects.values_list("match_attempts", flat=True))))
