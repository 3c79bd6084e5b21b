"""A webhook receiver or push service that answers a byte at a time, or with a huge or
gzip-bombed body, costs a worker no more than the request's deadline, and its body
nothing: it cannot hold the worker that serves every other merchant and customer, nor
swell it.
Real sockets: a raw TCP server on loopback plays the hostile receiver."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time

import pytest
from django.utils import timezone

from accounts import push
from accounts.models import PushSubscription
from merchants import services as merchant_services
from payments.models import WebhookDelivery
from smilepay import outbound
from tests.payments import factories as f

pytestmark = pytest.mark.django_db

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"


def drip_headers_then_body(conn: socket.socket, stop: threading.Event) -> None:
    """A status, then a body that never ends: a byte every 0.2 s."""
    conn.sendall(HEADERS + b"Content-Length: 100000\r\n\r\n")
    while not stop.wait(0.2):
        conn.sendall(b"x")


def drip_the_status_line(conn: socket.socket, stop: threading.Event) -> None:
    for byte in HEADERS:
        if stop.wait(0.2):
            return
        conn.sendall(bytes([byte]))


def huge_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEADERS + b"Content-Length: %d\r\n\r\n" % (200 * 2**20))
    chunk = b"x" * 2**16
    for _ in range(200 * 16):
        if stop.is_set():
            return
        conn.sendall(chunk)


BOMB = gzip.compress(b"\0" * (64 * 2**20))  # 64 MiB once inflated, ~64 KB sent


def gzip_bomb(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(
        HEADERS + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(BOMB) + BOMB
    )


@contextlib.contextmanager
def hostile_receiver(behaviour):
    """A loopback server that reads a request's head, then behaves so; yields its URL."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn, contextlib.suppress(OSError):
                conn.recv(65536)  # the request (small here)
                behaviour(conn, stop)
                stop.wait(30)  # keep the connection open: the client must end it

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def post_once(url: str, *, deadline: float):
    target = outbound.resolve(url, schemes={"http"}, allow_private=True)
    with outbound.pinned_session(target, deadline=deadline) as session:
        return session.post(url, data=b"{}", timeout=deadline)


def test_a_receiver_that_answers_a_byte_at_a_time_is_cut_at_the_deadline():
    with hostile_receiver(drip_the_status_line) as url:
        started = time.monotonic()
        with pytest.raises(outbound.DeadlineExceeded):
            post_once(url, deadline=1.5)
        assert time.monotonic() - started < 5  # a per-read timeout alone never ends


@pytest.mark.parametrize("behaviour", [drip_headers_then_body, huge_body, gzip_bomb])
def test_an_answers_body_is_never_read_so_no_size_or_pace_of_it_costs_anything(behaviour):
    with hostile_receiver(behaviour) as url:
        started = time.monotonic()
        answer = post_once(url, deadline=10)
        assert time.monotonic() - started < 5  # the status is what counts: no waiting on
    assert answer.status_code == 200
    assert answer.content == b""


def test_a_dripping_webhook_receiver_fails_its_delivery_in_time_and_it_is_retried_later(
    settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with hostile_receiver(drip_the_status_line) as url:
        cafe = f.merchant()
        merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url=url)
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            f.paid_payment(cafe, f.customer(balance_minor=1000))
        assert time.monotonic() - started < 5
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_error.startswith("DeadlineExceeded")
    assert delivery.next_attempt_at is not None


def test_a_dripping_push_service_fails_the_push_in_time(settings, monkeypatch):
    settings.WEBPUSH_ALLOW_PRIVATE_ENDPOINTS = True
    settings.WEBPUSH_ALLOW_HTTP_ENDPOINTS = True
    monkeypatch.setattr(push, "PUSH_DEADLINE_SECONDS", 1)
    with hostile_receiver(drip_the_status_line) as url:
        casey = f.customer()
        subscription = PushSubscription.objects.create(
            user=casey, endpoint=url, p256dh=P256DH, auth="x0F2nFx3UdBw8Hsx5dNuHw"
        )
        started = time.monotonic()
        assert push.deliver(subscription_id=subscription.pk, payload="{}") == "failed"
        assert time.monotonic() - started < 5


# A real P-256 public key (uncompressed, base64url), as a browser hands it over.
P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"


def test_the_embedded_sweeps_retries_stop_at_their_budget_and_leave_the_rest_for_later(
    settings,
):
    """Each try ends within its timeout; the round ends within its budget, so the next
    round's expiries are not held up by many slow receivers."""
    from payments.tasks import retry_due_webhooks

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with hostile_receiver(drip_the_status_line) as url:
        cafe = f.merchant()
        endpoint = merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url=url)
        for n in range(4):
            WebhookDelivery.objects.create(
                endpoint=endpoint, event_type="payment.succeeded", event_id=f"evt_{n}",
                payload={}, next_attempt_at=timezone.now(),
            )  # fmt: skip
        started = time.monotonic()
        tried = retry_due_webhooks(budget_seconds=1.5)
        assert time.monotonic() - started < 4
    assert 1 <= tried < 4  # about a second each: the budget ran out before the last
    assert WebhookDelivery.objects.filter(attempts=0, status="pending").count() == 4 - tried
