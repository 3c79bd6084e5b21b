from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditEvent
from merchants.models import Kiosk, KioskPairingCode, Merchant, MerchantMembership

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_creates_the_demo_merchant_kiosk_and_logins():
    output = seed()
    assert Merchant.objects.get(slug="demo-cafe").name == "Demo Café"
    assert Kiosk.objects.filter(merchant__slug="demo-cafe").count() == 1
    # Made through the kiosk service, like any kiosk: audited.
    assert AuditEvent.objects.filter(name="kiosk.created").count() == 1
    staff = get_user_model().objects.get(email="staff@demo-cafe.example")
    assert MerchantMembership.objects.filter(user=staff, merchant__slug="demo-cafe").exists()
    customer = get_user_model().objects.get(email="customer@example.com")
    assert customer.phone_last4 == "0123"
    assert "pairing code" in output and "customer@example.com" in output


def test_running_it_twice_creates_nothing_new_and_leaves_one_usable_code():
    seed()
    counts = (Merchant.objects.count(), Kiosk.objects.count(), get_user_model().objects.count())
    seed()
    assert (
        Merchant.objects.count(),
        Kiosk.objects.count(),
        get_user_model().objects.count(),
    ) == counts
    usable = [code for code in KioskPairingCode.objects.all() if code.is_usable()]
    assert len(usable) == 1


def test_the_demo_customer_has_a_few_past_payments_and_still_50_in_the_wallet():
    from payments import selectors
    from payments.merchant import stats
    from tests.payments.factories import ledger_total

    seed()
    customer = get_user_model().objects.get(email="customer@example.com")
    history = list(selectors.customer_payments(customer_id=customer.pk))
    assert len(history) >= 5
    assert {p.status for p in history} == {"succeeded", "declined"}
    assert all(p.created_at.date() < timezone.now().date() for p in history)
    assert selectors.wallet_balance(user_id=customer.pk)[0].available_minor == 5000
    assert selectors.customer_face_activity(customer_id=customer.pk).count() == len(history)
    merchant = Merchant.objects.get(slug="demo-cafe")
    days = stats.daily_figures(merchant_id=merchant.pk, days=30)
    assert sum(1 for d in days if d.volume_minor) >= 4
    assert ledger_total() == 0
    seed()
    assert selectors.customer_payments(customer_id=customer.pk).count() == len(history)
