"""A service the site needs is down (Redis refusing connections, the database gone): the
visitor hears 503 and "try again in a moment", never a 500, and the retry works."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import Client

from kiosk.devices import DEVICE_COOKIE
from kiosk.models import CaptureSession
from merchants.services import kiosk_issue_pairing_code, kiosk_pair
from payments.models import Payment
from tests.accounts.conftest import PASSWORD, make_customer
from tests.kiosk.factories import make_kiosk
from tests.kiosk.test_recognition_flow import as_the_page_sends_it, uploaded
from tests.payments import factories as f
from tests.payments.online_helpers import face_pay_customer, online_request
from tests.services import free_port
from tests.smilepay.test_frames import jpeg

pytestmark = pytest.mark.django_db


def closed_redis_cache() -> dict:
    """The cache (rate limits, stashed bursts) on a Redis port where nothing listens."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = closed_redis_cache()


def paired_kiosk_device() -> Client:
    """A paired kiosk's browser, which gets error answers rather than exceptions."""
    kiosk = make_kiosk(name="Counter 1", merchant_name="Corner Cafe")
    device = Client(raise_request_exception=False)
    device.cookies[DEVICE_COOKIE] = kiosk_pair(
        code=kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
    ).device_token
    return device


def assert_try_again(response, *, json: bool) -> None:
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    if json:
        error = response.json()["error"]
        assert error["code"] == "service_unavailable" and "try again" in error["message"].lower()
    else:
        html = response.content.decode()
        assert "Back in a moment" in html and "Try again in a moment" in html


def test_with_redis_down_a_customer_signing_in_is_told_to_try_again(redis_down):
    make_customer("casey@example.com", "+12025550199", name="Casey")
    browser = Client(raise_request_exception=False)
    response = browser.post(
        "/accounts/login/", {"username": "casey@example.com", "password": PASSWORD}
    )
    assert_try_again(response, json=False)


def test_with_redis_down_a_kiosk_is_answered_503_in_json(redis_down, caplog):
    device = paired_kiosk_device()
    payment = device.post("/kiosk/api/payments", {"amount_minor": 300}, "application/json")
    payment_id = payment.json()["payment"]["id"]
    # The kiosk's attempt limit lives in the cache: no ticket without it.
    ticket = device.post(f"/kiosk/api/payments/{payment_id}/capture-session")
    assert_try_again(ticket, json=True)
    assert not CaptureSession.objects.filter(payment_id=payment_id).exists()
    # The operator reads which service failed and why, in one line.
    (line,) = [r.getMessage() for r in caplog.records if r.name == "smilepay.outages"]
    assert line.startswith("a service is down: ConnectionError") and "refused" in line


def test_when_redis_goes_down_before_a_kiosk_upload_its_token_stays_unspent(settings):
    device = paired_kiosk_device()
    payment = device.post("/kiosk/api/payments", {"amount_minor": 300}, "application/json")
    payment_id = payment.json()["payment"]["id"]
    token = device.post(f"/kiosk/api/payments/{payment_id}/capture-session").json()["token"]
    frames, times = as_the_page_sends_it(token, [jpeg()] * 8)
    upload = {"token": token, **times, "frame": uploaded(frames)}
    settings.CACHES = closed_redis_cache()
    assert_try_again(device.post("/kiosk/api/capture", upload), json=True)
    assert CaptureSession.objects.get(payment_id=payment_id).used_at is None
    assert Payment.objects.get(pk=payment_id).status == "created"


@pytest.mark.django_db(transaction=True)
def test_when_redis_goes_down_before_a_phone_sends_its_burst_it_is_told_to_try_again(
    client, settings
):
    """The burst's view is async: the outage is answered there too."""
    casey = face_pay_customer(balance_minor=5000)
    client.force_login(casey)
    payment = online_request(f.merchant(), casey)
    started = client.post(f"/me/payments/{payment.pk}/confirm/face/start/")
    assert started.status_code == 201, started.content
    settings.CACHES = closed_redis_cache()
    phone = Client(raise_request_exception=False)
    phone.cookies = client.cookies
    answer = phone.post(
        f"/me/payments/{payment.pk}/confirm/face/",
        {
            "token": started.json()["token"],
            "frame": uploaded([jpeg()] * 8),
            "timestamps": json.dumps([250 * i for i in range(8)]),
        },
    )
    assert_try_again(answer, json=True)
    assert Payment.objects.get(pk=payment.pk).match_attempts == 0


def test_an_api_write_that_meets_a_database_outage_is_answered_503_and_its_key_retried(
    monkeypatch,
):
    from payments.api import views as api_views

    cafe = f.merchant()
    counter = f.kiosk(cafe)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {f.api_key(cafe)}")
    real_create = api_views.services.payment_create

    def database_gone(**kwargs):  # stand-in for PostgreSQL dropping the connection
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(api_views.services, "payment_create", database_gone)
    body = {"amount_minor": 300, "kiosk_id": counter.pk}
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-77"}
    assert_try_again(api.post("/api/v1/payments", body, "application/json", **headers), json=True)
    monkeypatch.setattr(api_views.services, "payment_create", real_create)
    again = api.post("/api/v1/payments", body, "application/json", **headers)
    assert again.status_code == 201, again.content
