"""Online payment requests through the merchant API: creation (by phone or e-mail, with
description, return URL and expiry), the customer's notifications, the signed webhook
after a face confirmation, and expiry."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from accounts.recognition import Outcome, RecognitionResult
from merchants import services as merchant_services
from payments.models import Payment
from payments.online import services as online
from payments.tasks import expire_due_payments
from tests.payments import factories as f
from tests.payments.api_client import Api
from tests.payments.online_helpers import face_pay_customer
from tests.payments.test_webhooks import receiver  # noqa: F401 - the fixture

# The face check is enqueued when its try commits, as in production: real commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    return f.merchant(name="Bean Shop")


@pytest.fixture
def api(shop):
    return Api(f.api_key(shop))


def create(api, **body):
    answer = api.post("payments", {"amount_minor": 1299, **body})
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_a_request_by_phone_or_email_carries_description_return_url_and_expiry(api):
    casey = face_pay_customer()
    by_phone = create(
        api,
        customer_phone=casey.phone_e164,
        description="Coffee beans 1 kg",
        return_url="https://shop.example/return",
        expires_in_seconds=300,
    )
    assert (by_phone["status"], by_phone["channel"]) == ("created", "online")
    assert by_phone["description"] == "Coffee beans 1 kg"
    assert by_phone["return_url"] == "https://shop.example/return"
    payment = Payment.objects.get(pk=by_phone["id"])
    assert payment.customer == casey
    assert 295 <= (payment.expires_at - timezone.now()).total_seconds() <= 300
    by_email = create(api, customer_email=casey.email.upper())
    assert Payment.objects.get(pk=by_email["id"]).customer == casey
    missing = api.post("payments", {"amount_minor": 5, "customer_email": "nobody@example.com"})
    assert missing.status_code == 404
    both = api.post(
        "payments",
        {"amount_minor": 5, "customer_email": casey.email, "customer_phone": casey.phone_e164},
    )
    assert both.status_code == 400


def test_the_customer_gets_a_push_and_a_live_event(
    api, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("payments.events.notify_customer", lambda **kwargs: sent.append(kwargs))
    casey = face_pay_customer()
    with django_capture_on_commit_callbacks(execute=True):
        body = create(api, customer_phone=casey.phone_e164)
    (note,) = [s for s in sent if s["event"]["type"] == "payment.confirmation_requested"]
    assert note["user_id"] == casey.pk
    assert note["push"].url == f"/me/payments/{body['id']}/confirm/"
    assert "$12.99" in note["push"].title and "Bean Shop" in note["push"].title


def test_the_merchant_gets_a_signed_webhook_when_the_face_confirms(
    api,
    shop,
    receiver,  # noqa: F811 - the fixture imported above
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    endpoint = merchant_services.webhook_endpoint_create(merchant_id=shop.pk, url=receiver.url)
    receiver.secret = endpoint.secret
    monkeypatch.setattr(
        online,
        "verify_burst",
        lambda *, customer_id, **_: RecognitionResult(
            Outcome.MATCHED, customer_id=customer_id, best_distance=0.2, threshold=0.31
        ),
    )
    casey = face_pay_customer()
    body = create(api, customer_phone=casey.phone_e164)
    with django_capture_on_commit_callbacks(execute=True):
        async_to_sync(online.aonline_face_confirm)(
            payment_id=body["id"], customer_id=casey.pk, frames=[]
        )
    (hook,) = receiver.received
    assert hook["verified"] is True
    assert hook["event"]["type"] == "payment.succeeded"
    assert hook["event"]["data"]["object"]["id"] == body["id"]
    assert api.get(f"payments/{body['id']}").json()["status"] == "succeeded"


def test_an_unanswered_request_expires_and_the_merchant_is_told(api, shop):
    merchant_services.webhook_endpoint_create(merchant_id=shop.pk, url="https://shop.example/hook")
    casey = face_pay_customer()
    body = create(api, customer_phone=casey.phone_e164, expires_in_seconds=30)
    Payment.objects.filter(pk=body["id"]).update(expires_at=timezone.now())
    expire_due_payments()
    read = api.get(f"payments/{body['id']}").json()
    assert (read["status"], read["reason"]) == ("expired", "timeout")
    payment = Payment.objects.get(pk=body["id"])
    assert payment.webhook_deliveries.filter(event_type="payment.expired").count() == 1
