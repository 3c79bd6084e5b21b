"""Every security-relevant merchant write leaves an audit event naming who did it, once,
and no event ever holds a secret (API key, webhook secret, pairing code, device token)."""

import json

import pytest

from accounts.models import AuditEvent
from merchants import services as merchant_services
from merchants.models import ApiKey, Kiosk, WebhookEndpoint
from merchants.services import kiosk_pair
from payments import services
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


def audited(name: str) -> list[dict]:
    return [e.data for e in AuditEvent.objects.filter(name=name).order_by("id")]


def every_event_as_text() -> str:
    return json.dumps(list(AuditEvent.objects.values("name", "data")))


def test_creating_pairing_and_revoking_a_kiosk_on_the_merchant_site_is_audited(cafe, owner, client):
    page = client.post("/merchant/kiosks/", {"name": "Till 2", "location": "Back"})
    kiosk = Kiosk.objects.get(merchant=cafe, name="Till 2")
    code = page.content.decode().split('class="code-big">')[1].split("<")[0]
    token = kiosk_pair(code=code).device_token
    client.post(f"/merchant/kiosks/{kiosk.pk}/revoke/")

    who = {"kiosk_id": kiosk.pk, "merchant_id": cafe.pk}
    assert audited("kiosk.created") == [{**who, "created_by_id": owner.pk}]
    [issued] = audited("kiosk.pairing_code_issued")
    assert issued == {**who, "pairing_code_id": issued["pairing_code_id"], "issued_by_id": owner.pk}
    assert audited("kiosk.paired") == [
        {**who, "pairing_code_id": issued["pairing_code_id"], "replaced_device": False}
    ]
    assert audited("kiosk.revoked") == [{**who, "revoked_by_id": owner.pk}]
    text = every_event_as_text()
    assert code not in text and token not in text


def test_pairing_again_says_it_replaced_a_device(cafe):
    kiosk = f.kiosk(cafe)
    kiosk_pair(code=merchant_services.kiosk_issue_pairing_code(kiosk_id=kiosk.pk))
    kiosk_pair(code=merchant_services.kiosk_issue_pairing_code(kiosk_id=kiosk.pk))
    assert [e["replaced_device"] for e in audited("kiosk.paired")] == [False, True]


def test_revoking_a_kiosk_twice_is_audited_once(cafe):
    kiosk = f.kiosk(cafe)
    merchant_services.kiosk_revoke(kiosk_id=kiosk.pk, merchant_id=cafe.pk)
    merchant_services.kiosk_revoke(kiosk_id=kiosk.pk, merchant_id=cafe.pk)
    assert len(audited("kiosk.revoked")) == 1


def test_an_api_key_created_and_revoked_on_the_merchant_site_is_audited_without_its_secret(
    cafe, owner, client
):
    page = client.post("/merchant/api-keys/", {"name": "Shop backend"}).content.decode()
    secret = page.split('class="secret">')[1].split("<")[0]
    key = ApiKey.objects.get(merchant=cafe)
    client.post(f"/merchant/api-keys/{key.pk}/revoke/")

    who = {"api_key_id": key.pk, "merchant_id": cafe.pk}
    assert audited("api_key.created") == [{**who, "created_by_id": owner.pk}]
    assert audited("api_key.revoked") == [{**who, "revoked_by_id": owner.pk}]
    text = every_event_as_text()
    assert secret not in text and secret[3:] not in text and key.key_hash not in text


def test_revoking_an_api_key_twice_changes_and_audits_it_once(cafe):
    key, _ = merchant_services.api_key_create(merchant_id=cafe.pk, name="k")
    first = merchant_services.api_key_revoke(api_key_id=key.pk, merchant_id=cafe.pk).revoked_at
    again = merchant_services.api_key_revoke(api_key_id=key.pk, merchant_id=cafe.pk).revoked_at
    assert first is not None and again == first
    assert len(audited("api_key.revoked")) == 1


def test_another_merchants_api_key_cannot_be_revoked(cafe):
    key, _ = merchant_services.api_key_create(merchant_id=f.merchant().pk, name="theirs")
    with pytest.raises(ApiKey.DoesNotExist):
        merchant_services.api_key_revoke(api_key_id=key.pk, merchant_id=cafe.pk)
    assert audited("api_key.revoked") == []


def test_a_webhook_endpoint_created_and_disabled_on_the_merchant_site_is_audited_without_secrets(
    cafe, owner, client
):
    url = "https://shop.example/hooks?token=merchants-own-token"
    client.post("/merchant/webhooks/", {"url": url, "event_types": ["payment.succeeded"]})
    endpoint = WebhookEndpoint.objects.get(merchant=cafe)
    client.post(f"/merchant/webhooks/{endpoint.pk}/disable/")

    who = {"endpoint_id": endpoint.pk, "merchant_id": cafe.pk}
    assert audited("webhook_endpoint.created") == [
        {**who, "host": "shop.example", "created_by_id": owner.pk}
    ]
    assert audited("webhook_endpoint.disabled") == [{**who, "disabled_by_id": owner.pk}]
    text = every_event_as_text()
    assert endpoint.secret not in text and "merchants-own-token" not in text


def test_disabling_a_webhook_endpoint_twice_changes_and_audits_it_once(cafe):
    endpoint = merchant_services.webhook_endpoint_create(
        merchant_id=cafe.pk, url="https://shop.example/h"
    )
    merchant_services.webhook_endpoint_disable(endpoint_id=endpoint.pk, merchant_id=cafe.pk)
    merchant_services.webhook_endpoint_disable(endpoint_id=endpoint.pk, merchant_id=cafe.pk)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert len(audited("webhook_endpoint.disabled")) == 1


def test_the_operator_reads_a_payments_audit_trail_in_the_admin(admin_client):
    payment = f.kiosk_payment(f.merchant())
    services.payment_cancel(payment_id=payment.pk)
    page = admin_client.get(f"/admin/payments/payment/{payment.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "payment.created" in html and "payment.canceled" in html


def test_the_merchant_payment_page_shows_the_trail_oldest_first(cafe, owner, client):
    payment = f.kiosk_payment(cafe)
    services.payment_cancel(payment_id=payment.pk)
    html = client.get(f"/merchant/payments/{payment.pk}/").content.decode()
    assert html.index("Payment created") < html.rindex("Canceled")


@pytest.mark.django_db
def test_the_operator_reads_amounts_as_money_in_the_admin_lists(admin_client):
    cafe, casey = f.merchant(), f.customer(balance_minor=5000)
    paid = f.paid_payment(cafe, casey, amount_minor=1250)
    services.payment_refund(payment_id=paid.pk, amount_minor=250)
    assert "$12.50" in admin_client.get("/admin/payments/payment/").content.decode()
    assert "$2.50" in admin_client.get("/admin/payments/refund/").content.decode()
