from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from payments.models import Kiosk, KioskPairingCode, Merchant, MerchantMembership

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_creates_the_demo_merchant_kiosk_and_logins():
    output = seed()
    assert Merchant.objects.get(slug="demo-cafe").name == "Demo Café"
    assert Kiosk.objects.filter(merchant__slug="demo-cafe").count() == 1
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
