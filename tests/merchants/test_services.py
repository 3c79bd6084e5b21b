"""Merchants and their staff are created through merchants.services, audited once, and
asking again changes nothing."""

import pytest
from django.contrib.auth import get_user_model

from accounts.models import AuditEvent
from merchants import services
from merchants.models import Merchant, MerchantMembership

pytestmark = pytest.mark.django_db


def audited(name: str) -> list[dict]:
    return [e.data for e in AuditEvent.objects.filter(name=name).order_by("id")]


def test_a_merchant_is_created_once_per_slug_and_audited_once():
    cafe = services.merchant_create(name="Corner Café", slug="corner", currency="eur")
    again = services.merchant_create(name="Another name", slug="corner")
    assert again.pk == cafe.pk
    assert (Merchant.objects.get().name, cafe.currency) == ("Corner Café", "EUR")
    assert audited("merchant.created") == [
        {"merchant_id": cafe.pk, "slug": "corner", "created_by_id": None}
    ]


def test_staff_get_a_role_and_a_change_of_role_is_audited_but_not_a_repeat():
    cafe = services.merchant_create(name="Corner Café", slug="corner")
    robin = get_user_model().objects.create_user("robin@cafe.example", "staff passphrase 1")
    services.membership_set(merchant_id=cafe.pk, user_id=robin.pk, role="cashier")
    services.membership_set(merchant_id=cafe.pk, user_id=robin.pk, role="cashier")
    services.membership_set(merchant_id=cafe.pk, user_id=robin.pk, role="manager")
    assert MerchantMembership.objects.get(user=robin).role == MerchantMembership.Role.MANAGER
    assert [e["role"] for e in audited("merchant.membership_set")] == ["cashier", "manager"]


def test_a_role_that_does_not_exist_is_refused():
    cafe = services.merchant_create(name="Corner Café", slug="corner")
    robin = get_user_model().objects.create_user("robin@cafe.example", "staff passphrase 1")
    with pytest.raises(ValueError):
        services.membership_set(merchant_id=cafe.pk, user_id=robin.pk, role="boss")
    assert not MerchantMembership.objects.exists()
