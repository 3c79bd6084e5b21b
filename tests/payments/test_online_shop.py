"""The demo shop (/shop/) end to end through the test client: seed_demo registers its
key and webhook endpoint; buying creates a payment request through the API; the
customer confirms by face; the signed webhook marks the order paid."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from payments import webhooks
from payments.demo_shop import keys
from payments.demo_shop import views as shop_views
from payments.models import ApiKey, Payment, WebhookDelivery, WebhookEndpoint
from payments.online import services as online
from payments.online.verification import FaceCheck, Outcome
from tests.payments.online_helpers import post_face_burst

# The shop calls the API from a worker thread: its rows must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True)
HOST = "127.0.0.1:8000"
SITE = f"http://{HOST}"


@pytest.fixture
def client():
    return Client(HTTP_HOST=HOST)


@pytest.fixture
def seeded(settings, monkeypatch):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    call_command("seed_demo", "--quiet", stdout=StringIO())
    call_command("seed_demo", "--quiet", stdout=StringIO())  # idempotent

    def call_api(method, url, body=None):
        # The API over Django's test client instead of a socket (no server in this test).
        api = Client(HTTP_AUTHORIZATION=f"Bearer {keys.api_key()}", HTTP_HOST=HOST)
        path = url.replace(SITE, "")
        try:
            if method == "POST":
                answer = api.post(
                    path,
                    json.dumps(body),
                    content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY="shop-" + json.dumps(body, sort_keys=True),
                )
            else:
                answer = api.get(path)
            return answer.status_code, answer.json()
        finally:
            connection.close()  # this thread's own connection

    monkeypatch.setattr(shop_views, "_call_api", call_api)
    monkeypatch.setattr(
        online, "verify_burst", lambda **_: FaceCheck(Outcome.VERIFIED, distance=0.2)
    )


def test_seed_demo_registers_the_shop_once(seeded):
    assert ApiKey.objects.filter(name="Demo shop").count() == 1
    (endpoint,) = WebhookEndpoint.objects.filter(url=f"{SITE}/shop/webhook")
    assert endpoint.secret == keys.webhook_secret() and endpoint.is_active


def test_a_purchase_is_confirmed_by_face_and_the_webhook_marks_it_paid(seeded, client):
    from accounts.models import User
    from tests.payments.online_helpers import face_pay_customer

    casey = face_pay_customer(balance_minor=5000)
    assert "Coffee beans" in client.get("/shop/").content.decode()
    bought = client.post("/shop/buy", {"product": "beans", "phone": casey.phone_e164})
    assert bought.status_code == 302, bought.content
    payment = Payment.objects.get()
    assert bought["Location"] == f"/shop/orders/{payment.pk}/"
    assert (payment.customer_id, payment.amount_minor, payment.description) == (
        casey.pk,
        1299,
        "Coffee beans, 1 kg",
    )
    assert payment.return_url == f"{SITE}/shop/return"
    assert 'id="order-waiting"' in client.get(bought["Location"]).content.decode()

    phone = Client(HTTP_HOST=HOST)
    phone.force_login(User.objects.get(pk=casey.pk))
    answer = post_face_burst(phone, payment.pk, [_jpeg()] * 8)
    redirect = answer.json()["redirect"]
    assert redirect == f"{SITE}/shop/return?payment_id={payment.pk}&status=succeeded"

    # Deliver the webhook as the Celery task would, signed with the endpoint's secret.
    delivery = WebhookDelivery.objects.get(event_type="payment.succeeded")
    body = json.dumps(delivery.payload).encode()
    signature = webhooks.sign(secret=delivery.endpoint.secret, body=body)
    forged = client.post(
        "/shop/webhook",
        body,
        content_type="application/json",
        HTTP_SMILEPAY_SIGNATURE=signature.replace("v1=", "v1=0"),
    )
    assert forged.status_code == 400
    hook = client.post(
        "/shop/webhook", body, content_type="application/json", HTTP_SMILEPAY_SIGNATURE=signature
    )
    assert hook.status_code == 200
    page = client.get(client.get(redirect.replace(SITE, ""))["Location"])
    assert 'id="order-paid"' in page.content.decode()


def test_an_unknown_customer_gets_the_shop_error(seeded, client):
    page = client.post("/shop/buy", {"product": "mug", "phone": "+12025559876"})
    assert page.status_code == 400 and "no SmilePay customer" in page.content.decode()


def _jpeg():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(out, "JPEG")
    out.seek(0)
    out.name = "f.jpg"
    return out
