"""What the API accepts as money, and what one Idempotency-Key may stand for."""

import pytest
from django.db import connection
from kombu.exceptions import OperationalError

from kiosk.devices import DEVICE_COOKIE
from merchants import services as merchant_services
from merchants.services import kiosk_pair
from payments.models import IdempotencyRecord, Payment, Refund, WebhookDelivery
from payments.tasks import deliver_webhook, prune_idempotency_records
from tests.payments import factories as f
from tests.payments.api_client import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(cafe):
    return Api(f.api_key(cafe))


@pytest.fixture
def counter(cafe):
    return f.kiosk(cafe)


def error_code(response, status: int) -> str:
    assert response.status_code == status, response.content
    return response.json()["error"]["code"]


@pytest.mark.parametrize("amount", [1.0, 450.0, "450", " 450 ", "\u0664\u0665\u0660", True, None])
def test_an_amount_that_is_not_a_json_integer_is_refused(api, counter, amount):
    response = api.post("payments", {"amount_minor": amount, "kiosk_id": counter.pk})
    assert error_code(response, 400) == "parameter_invalid"
    assert response.json()["error"]["param"] == "amount_minor"
    assert Payment.objects.count() == 0


def test_an_unknown_currency_is_refused(api, counter):
    response = api.post(
        "payments", {"amount_minor": 450, "currency": "XYZ", "kiosk_id": counter.pk}
    )
    assert error_code(response, 400) == "invalid_currency"


def test_a_currency_other_than_the_merchants_is_refused(api, counter):
    response = api.post(
        "payments", {"amount_minor": 450, "currency": "EUR", "kiosk_id": counter.pk}
    )
    assert error_code(response, 400) == "currency_not_accepted"
    assert "USD" in response.json()["error"]["message"]


@pytest.mark.parametrize("amount", [1_000_001, 10**12, 2**63, 2**70])
def test_an_amount_above_the_merchants_maximum_is_refused_not_a_500(api, counter, amount):
    response = api.post("payments", {"amount_minor": amount, "kiosk_id": counter.pk})
    assert response.status_code == 400, response.content
    assert Payment.objects.count() == 0


def test_a_merchant_may_set_its_own_maximum(cafe, api, counter):
    cafe.max_payment_minor = 5000
    cafe.save()
    refused = api.post("payments", {"amount_minor": 5001, "kiosk_id": counter.pk})
    assert error_code(refused, 400) == "amount_too_large"
    assert "$50.00" in refused.json()["error"]["message"]
    assert api.post("payments", {"amount_minor": 5000, "kiosk_id": counter.pk}).status_code == 201


@pytest.mark.parametrize("amount", [1_000_001, 10**12, 2**63])
def test_the_kiosk_refuses_an_amount_above_the_maximum_too(client, cafe, counter, amount):
    token = kiosk_pair(
        code=merchant_services.kiosk_issue_pairing_code(kiosk_id=counter.pk)
    ).device_token
    client.cookies[DEVICE_COOKIE] = token
    response = client.post(
        "/kiosk/api/payments", {"amount_minor": amount}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "amount_too_large"


def test_the_kiosk_page_gives_the_keypad_the_exponent_and_the_maximum(client, cafe, counter):
    client.cookies[DEVICE_COOKIE] = kiosk_pair(
        code=merchant_services.kiosk_issue_pairing_code(kiosk_id=counter.pk)
    ).device_token
    page = client.get("/kiosk/").content.decode()
    assert 'data-exponent="2"' in page and 'data-max-amount="1000000"' in page


def prune_everything(settings) -> None:
    settings.IDEMPOTENCY_KEY_TTL_HOURS = -1
    prune_idempotency_records()
    assert not IdempotencyRecord.objects.exists()


def test_after_the_prune_a_reused_key_with_another_body_is_refused(api, counter, settings):
    first = api.post("payments", {"amount_minor": 450, "kiosk_id": counter.pk}, key="order-1")
    prune_everything(settings)
    other = api.post("payments", {"amount_minor": 999, "kiosk_id": counter.pk}, key="order-1")
    assert error_code(other, 422) == "idempotency_key_reused"
    assert list(Payment.objects.values_list("pk", "amount_minor")) == [(first.json()["id"], 450)]


def test_after_the_prune_the_same_request_still_finds_its_payment(api, counter, settings):
    first = api.post("payments", {"amount_minor": 450, "kiosk_id": counter.pk}, key="order-2")
    prune_everything(settings)
    again = api.post("payments", {"amount_minor": 450, "kiosk_id": counter.pk}, key="order-2")
    assert again.json()["id"] == first.json()["id"]
    assert Payment.objects.count() == 1


def test_after_the_prune_a_refund_key_refunds_once_and_never_for_another_body(cafe, api, settings):
    paid = f.paid_payment(cafe, f.customer(balance_minor=5000), amount_minor=1000)
    path = f"payments/{paid.pk}/refunds"
    first = api.post(path, {"amount_minor": 100}, key="refund-1")
    assert first.status_code == 201
    prune_everything(settings)
    again = api.post(path, {"amount_minor": 100}, key="refund-1")
    assert again.json()["id"] == first.json()["id"]
    assert error_code(api.post(path, {"amount_minor": 200}, key="refund-1"), 422) == (
        "idempotency_key_reused"
    )
    paid.refresh_from_db()
    assert (paid.refunded_minor, Refund.objects.count()) == (100, 1)


def test_the_database_refuses_two_refunds_under_one_key(cafe):
    from django.db import IntegrityError, transaction

    paid = f.paid_payment(cafe, f.customer(balance_minor=5000), amount_minor=1000)
    Refund.objects.create(payment=paid, amount_minor=100, idempotency_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(payment=paid, amount_minor=100, idempotency_key="k")


@pytest.mark.django_db(transaction=True)
def test_a_refund_whose_webhook_cannot_be_enqueued_is_answered_once_and_replayed(
    cafe, api, monkeypatch
):
    """MOCK (broker_down): Celery's enqueue raises as with an unreachable broker; the
    adversarial suite does the same with a real server whose Redis port is closed."""

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    assert not connection.in_atomic_block
    merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url="http://127.0.0.1:9/hooks")
    paid = f.paid_payment(cafe, f.customer(balance_minor=5000), amount_minor=1000)
    monkeypatch.setattr(deliver_webhook, "delay", broker_down)
    path = f"payments/{paid.pk}/refunds"
    answers = [api.post(path, {"amount_minor": 300}, key="refund-once") for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    paid.refresh_from_db()
    assert (paid.refunded_minor, Refund.objects.count()) == (300, 1)
    # The webhook is not lost: its delivery waits, pending, for the sweep.
    pending = WebhookDelivery.objects.get(event_type="payment.refunded")
    assert pending.status == WebhookDelivery.Status.PENDING
