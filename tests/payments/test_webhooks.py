"""Webhooks delivered by the Celery task to a real HTTP receiver on loopback."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from merchants import services as merchant_services
from merchants.errors import InvalidSetting
from payments import services, webhooks
from payments.errors import PaymentError
from payments.models import WebhookDelivery
from payments.tasks import retry_due_webhooks
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


class Receiver:
    """A merchant's webhook endpoint: verifies each signature like docs/webhooks.md says."""

    def __init__(self) -> None:
        self.secret = ""
        self.received: list[dict] = []
        self.fail_next = 0
        self.redirect_to = ""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", receiver.redirect_to)
                    self.end_headers()
                    return
                if receiver.fail_next:
                    receiver.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                ok = webhooks.verify(
                    secret=receiver.secret,
                    body=body,
                    header=self.headers.get("SmilePay-Signature", ""),
                )
                receiver.received.append({"verified": ok, "event": json.loads(body)})
                self.send_response(200 if ok else 400)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_a_signed_webhook_reaches_the_receiver_and_verifies(
    receiver, django_capture_on_commit_callbacks
):
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    endpoint = merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url=receiver.url)
    receiver.secret = endpoint.secret
    with django_capture_on_commit_callbacks(execute=True):
        payment = f.paid_payment(cafe, casey, amount_minor=300)
    assert [r["event"]["type"] for r in receiver.received] == ["payment.succeeded"]
    assert receiver.received[0]["verified"] is True
    assert receiver.received[0]["event"]["data"]["object"]["id"] == payment.pk
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)


def test_a_wrong_secret_or_a_tampered_body_does_not_verify():
    body = b'{"type":"payment.succeeded"}'
    header = webhooks.sign(secret="whsec_right", body=body)
    assert webhooks.verify(secret="whsec_right", body=body, header=header)
    assert not webhooks.verify(secret="whsec_wrong", body=body, header=header)
    assert not webhooks.verify(secret="whsec_right", body=body + b" ", header=header)
    old = webhooks.sign(secret="whsec_right", body=body, timestamp=1_000_000)
    assert not webhooks.verify(secret="whsec_right", body=body, header=old)


def test_refunds_declines_and_expiries_send_their_events(
    receiver, django_capture_on_commit_callbacks
):
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    receiver.secret = merchant_services.webhook_endpoint_create(
        merchant_id=cafe.pk, url=receiver.url
    ).secret
    with django_capture_on_commit_callbacks(execute=True):
        paid = f.paid_payment(cafe, casey, amount_minor=300)
        services.payment_refund(payment_id=paid.pk, amount_minor=100)
        pending = f.matched_payment(cafe, casey, amount_minor=50)
        services.payment_decline(payment_id=pending.pk, customer_id=casey.pk)
        stale = f.kiosk_payment(cafe)
        services.payment_expire(payment_id=stale.pk, force=True)
    types = [r["event"]["type"] for r in receiver.received]
    assert types == ["payment.succeeded", "payment.refunded", "payment.declined", "payment.expired"]
    assert all(r["verified"] for r in receiver.received)
    assert receiver.received[1]["event"]["data"]["refund"]["amount_minor"] == 100


def test_a_failed_delivery_is_retried_with_backoff_and_logged(
    receiver, django_capture_on_commit_callbacks
):
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    receiver.secret = merchant_services.webhook_endpoint_create(
        merchant_id=cafe.pk, url=receiver.url
    ).secret
    receiver.fail_next = 1
    with django_capture_on_commit_callbacks(execute=True):
        f.paid_payment(cafe, casey)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at is not None
    assert retry_due_webhooks() == 0  # not due yet: backing off
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    assert retry_due_webhooks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert receiver.received[-1]["verified"]


def test_with_a_worker_a_delivery_whose_message_was_dropped_is_sent_by_the_sweep(
    receiver, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in production: Celery retries first
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    receiver.secret = merchant_services.webhook_endpoint_create(
        merchant_id=cafe.pk, url=receiver.url
    ).secret
    f.paid_payment(cafe, casey)  # on-commit callbacks never run here: the message is lost
    delivery = WebhookDelivery.objects.get()
    assert retry_due_webhooks() == 0  # Celery's own try is still due first
    three_minutes_ago = timezone.now() - timedelta(minutes=3)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=three_minutes_ago)
    assert retry_due_webhooks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
    assert receiver.received[-1]["event"]["type"] == "payment.succeeded"


def test_a_merchant_can_resend_a_delivery(receiver, django_capture_on_commit_callbacks):
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    receiver.secret = merchant_services.webhook_endpoint_create(
        merchant_id=cafe.pk, url=receiver.url
    ).secret
    with django_capture_on_commit_callbacks(execute=True):
        f.paid_payment(cafe, casey)
    original = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        copy = webhooks.resend(delivery_id=original.pk, merchant_id=cafe.pk)
    copy.refresh_from_db()
    assert copy.status == "succeeded"
    assert [r["event"]["id"] for r in receiver.received] == [original.event_id] * 2
    other = f.merchant()
    with pytest.raises(WebhookDelivery.DoesNotExist):
        webhooks.resend(delivery_id=original.pk, merchant_id=other.pk)


def test_nothing_more_goes_to_an_endpoint_once_it_is_disabled(
    receiver, django_capture_on_commit_callbacks
):
    """Not its retries, not a resend: a merchant disables an endpoint whose URL leaked."""
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    endpoint = merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url=receiver.url)
    receiver.secret = endpoint.secret
    receiver.fail_next = 1
    with django_capture_on_commit_callbacks(execute=True):
        f.paid_payment(cafe, casey)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"  # a retry is due later
    merchant_services.webhook_endpoint_disable(endpoint_id=endpoint.pk, merchant_id=cafe.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    retry_due_webhooks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        "failed",
        1,
        "endpoint disabled",
    )
    with pytest.raises(PaymentError) as refused:
        webhooks.resend(delivery_id=delivery.pk, merchant_id=cafe.pk)
    assert refused.value.code == "endpoint_disabled"
    assert receiver.received == []  # the one try before was the 503
    assert WebhookDelivery.objects.count() == 1


def test_only_the_merchants_own_endpoints_get_its_events(
    receiver, django_capture_on_commit_callbacks
):
    cafe, other, casey = f.merchant(), f.merchant(), f.customer(balance_minor=1000)
    merchant_services.webhook_endpoint_create(merchant_id=other.pk, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        f.paid_payment(cafe, casey)
    assert receiver.received == []


def test_in_production_a_webhook_to_a_private_address_is_refused(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    cafe = f.merchant()
    for url in ("http://127.0.0.1:9/hooks", "http://10.1.2.3/x", "http://169.254.169.254/"):
        with pytest.raises(InvalidSetting) as refused:
            merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url=url)
        assert refused.value.code == "forbidden_url"


def test_a_delivery_is_checked_again_and_never_sent_inward(
    receiver, settings, django_capture_on_commit_callbacks
):
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    receiver.secret = merchant_services.webhook_endpoint_create(
        merchant_id=cafe.pk, url=receiver.url
    ).secret
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False  # e.g. the name now resolves inward
    with django_capture_on_commit_callbacks(execute=True):
        f.paid_payment(cafe, casey)
    delivery = WebhookDelivery.objects.get()
    assert receiver.received == []
    assert delivery.last_error.startswith("refused:")


def test_a_redirect_is_not_followed(receiver, django_capture_on_commit_callbacks):
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    receiver.redirect_to = "http://127.0.0.1:9/internal"
    receiver.secret = merchant_services.webhook_endpoint_create(
        merchant_id=cafe.pk, url=receiver.url
    ).secret
    with django_capture_on_commit_callbacks(execute=True):
        f.paid_payment(cafe, casey)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
