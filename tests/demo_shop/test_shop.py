"""The demo shop (/shop/) end to end through the test client: seed_demo registers its
key and webhook endpoint; buying creates a payment request through the API; the
customer confirms by face; the signed webhook marks the order paid."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from accounts.recognition import Outcome, RecognitionResult
from demo_shop import keys
from demo_shop import views as shop_views
from merchants.models import ApiKey, WebhookEndpoint
from payments import webhooks
from payments.models import Payment, WebhookDelivery
from payments.online import services as online
from tests.payments.online_helpers import post_face_burst
from tests.services import free_port

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
    settings.DEMO_SHOP_API_URL = f"{SITE}/api/v1/"
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    call_command("seed_demo", "--quiet", stdout=StringIO())
    call_command("seed_demo", "--quiet", stdout=StringIO())  # idempotent

    def call_api(method, url, body=None, *, language="en"):
        # The API over Django's test client instead of a socket (no server in this test).
        api = Client(
            HTTP_AUTHORIZATION=f"Bearer {keys.api_key()}",
            HTTP_HOST=HOST,
            HTTP_ACCEPT_LANGUAGE=language,
        )
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
        online,
        "verify_burst",
        lambda *, customer_id, **_: RecognitionResult(
            Outcome.MATCHED, customer_id=customer_id, best_distance=0.2
        ),
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
    payment = Payment.objects.get(channel="online")  # the demo customer's history is at kiosks
    assert bought["Location"].startswith("/shop/orders/")
    assert bought["Location"] != f"/shop/orders/{payment.pk}/"
    assert (payment.customer_id, payment.amount_minor, payment.description) == (
        casey.pk,
        1299,
        "Coffee beans, 1 kg",
    )
    ref = bought["Location"].split("/")[3]
    assert payment.return_url == f"{SITE}/shop/return?order={ref}"
    assert 'id="order-waiting"' in client.get(bought["Location"]).content.decode()

    phone = Client(HTTP_HOST=HOST)
    phone.force_login(User.objects.get(pk=casey.pk))
    answer = post_face_burst(phone, payment.pk, [_jpeg() for _ in range(8)])
    redirect = answer.json()["redirect"]
    assert redirect == f"{SITE}/shop/return?order={ref}&payment_id={payment.pk}&status=succeeded"

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


def test_the_shop_answers_the_same_whether_or_not_the_number_is_a_customers(seeded, client):
    """Nobody learns from the shop who has SmilePay: a stranger's number gets the same
    order page as a customer's (the request went out; nobody sees it) until it expires."""
    from tests.payments.online_helpers import face_pay_customer

    casey = face_pay_customer(balance_minor=5000)
    pages = []
    for phone in (casey.phone_e164, "+12025559876"):
        bought = client.post("/shop/buy", {"product": "mug", "phone": phone})
        assert bought.status_code == 302
        page = client.get(bought["Location"]).content.decode()
        page = page.replace(bought["Location"].split("/")[3], "REF")
        # Every rendering masks the CSRF token (the language switcher's form) anew.
        pages.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page))
    assert pages[0] == pages[1]
    assert 'id="order-waiting"' in pages[1]
    assert Payment.objects.get(channel="online").customer_id == casey.pk  # only the real one


def test_the_return_page_needs_the_orders_reference_not_only_a_payment_id(seeded, client):
    """Walking payment ids on the return page must not find the orders that have one (a
    customer's number) among those that do not (anybody else's)."""
    from tests.payments.online_helpers import face_pay_customer

    casey = face_pay_customer(balance_minor=5000)
    bought = client.post("/shop/buy", {"product": "mug", "phone": casey.phone_e164})
    ref = bought["Location"].split("/")[3]
    payment = Payment.objects.get(channel="online")
    for query in (
        {"payment_id": payment.pk},
        {"payment_id": payment.pk, "order": "A" * 12},
        {"payment_id": payment.pk, "order": "x" * 500},
        {"payment_id": payment.pk + 1, "order": ref},
    ):
        assert client.get("/shop/return", query).status_code == 404, query
    back = client.get("/shop/return", {"order": ref, "payment_id": payment.pk})
    assert back["Location"] == bought["Location"]


def test_a_number_that_is_not_a_phone_number_is_still_an_error(seeded, client):
    page = client.post("/shop/buy", {"product": "mug", "phone": "not a phone"})
    assert page.status_code == 400 and "not a valid phone number" in page.content.decode()


def test_the_shops_french_page_shows_smilepays_refusal_in_french(seeded, client):
    page = client.post(
        "/shop/buy", {"product": "mug", "phone": "not a phone"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert page.status_code == 400
    assert "numéro de téléphone n’est pas valide" in page.content.decode()


def test_the_shop_calls_the_configured_api_whatever_host_the_client_names(seeded, monkeypatch):
    called = []
    monkeypatch.setattr(
        shop_views, "_call_api", lambda method, url, body=None, **_: called.append(url) or (404, {})
    )
    Client(HTTP_HOST="127.0.0.1:8254").post(
        "/shop/buy", {"product": "mug", "phone": "+12025559876"}
    )
    assert called == [f"{SITE}/api/v1/payments"]


def _jpeg():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(out, "JPEG")
    out.seek(0)
    out.name = "f.jpg"
    return out


@pytest.mark.slow
def test_the_demo_shop_is_not_mounted_unless_enabled(tmp_path):
    import subprocess

    from tests.services import REPO, clean_env, python

    probe = (
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/shop/'); print('mounted')\nexcept Resolver404:\n    print('absent')"
    )
    answers = {}
    for flag in ("", "true"):
        env = clean_env(
            DJANGO_SETTINGS_MODULE="smilepay.settings", SMILEPAY_LOCAL_DIR=str(tmp_path)
        )
        if flag:
            env["DEMO_SHOP"] = flag
        result = subprocess.run(
            [python(), "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )
        answers[flag] = result.stdout.strip().splitlines()[-1]
    assert answers == {"": "absent", "true": "mounted"}


def test_when_smilepay_cannot_be_reached_the_shopper_is_told_and_nothing_is_ordered(
    settings, client
):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    call_command("seed_demo", "--quiet", stdout=StringIO())
    settings.DEMO_SHOP_API_URL = f"http://127.0.0.1:{free_port()}/api/v1/"  # nobody listens
    payments_before = Payment.objects.count()
    answer = client.post("/shop/buy", {"product": "beans", "phone": "+12025550123"})
    assert answer.status_code == 502
    assert "SmilePay could not be reached" in answer.content.decode()
    assert Payment.objects.count() == payments_before


def test_the_shop_speaks_french_and_offers_a_signed_in_customer_their_own_number(seeded, client):
    from tests.payments.online_helpers import face_pay_customer

    page = client.get("/shop/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Café en grains, 1 kg" in page and "Coffee beans" not in page
    assert 'value="+12025550123"' in page  # a visitor: the demo customer's number
    casey = face_pay_customer(balance_minor=5000)
    client.force_login(casey)
    assert f'value="{casey.phone_e164}"' in client.get("/shop/").content.decode()
