"""Retry sweeps that overlap never send one event twice, a sweep is time-boxed, and on
the embedded default a slow receiver does not hold up the expiries of the same round."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from merchants import outbound
from merchants import services as merchant_services
from payments import tasks, webhooks
from payments.models import Payment, WebhookDelivery
from smilepay import sweeper
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def cafe(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    cafe = f.merchant(name="Corner Café")
    merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url="http://127.0.0.1:9/hook")
    return cafe


def due_deliveries(cafe, count: int, capture) -> list[int]:
    casey = f.customer(balance_minor=5000)
    with capture(execute=True):  # the webhooks are written once the change commits
        for _ in range(count):
            f.paid_payment(cafe, casey, amount_minor=100)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    ids = list(WebhookDelivery.objects.values_list("pk", flat=True))
    assert len(ids) >= count
    return ids


def test_a_sweep_starting_while_another_sends_skips_what_that_one_took(
    cafe, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(outbound, "post", lambda *a, **k: 500)  # the first tries fail
    ids = due_deliveries(cafe, 3, django_capture_on_commit_callbacks)
    sent: list[str] = []

    def post(url, *, body, headers, timeout):
        sent.append(body)
        if len(sent) == 1:  # beat starts the next sweep while this one is still sending
            tasks.retry_due_webhooks()
        return 200

    monkeypatch.setattr(outbound, "post", post)
    tasks.retry_due_webhooks()
    assert len(sent) == len(ids) == len(set(sent))
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_a_sweep_stops_sending_when_its_time_is_up(
    cafe, monkeypatch, settings, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(outbound, "post", lambda *a, **k: 500)
    due_deliveries(cafe, 3, django_capture_on_commit_callbacks)
    settings.WEBHOOK_SWEEP_BUDGET_SECONDS = 0
    monkeypatch.setattr(outbound, "post", lambda *a, **k: 200)
    assert tasks.retry_due_webhooks() == 0
    assert not WebhookDelivery.objects.exclude(status="pending").exists()


@pytest.mark.django_db(transaction=True)  # each expiry commits, as in the server
def test_the_embedded_round_expires_every_due_payment_before_sending_any_webhook(
    cafe, monkeypatch, settings
):
    settings.WEBHOOK_SWEEP_GRACE_SECONDS = 0
    casey = f.customer(balance_minor=5000)
    due = [f.matched_payment(cafe, casey, amount_minor=100).pk for _ in range(3)]
    WebhookDelivery.objects.update(status="succeeded")  # the matches' own events went out
    Payment.objects.filter(pk__in=due).update(expires_at=timezone.now() - timedelta(seconds=1))
    happened: list[str] = []
    real_expire = tasks.payment_expire

    def expire(*, payment_id):
        happened.append("expired")
        return real_expire(payment_id=payment_id)

    def slow_receiver(url, *, body, headers, timeout):
        happened.append("webhook sent")
        return 200

    monkeypatch.setattr(tasks, "payment_expire", expire)
    monkeypatch.setattr(outbound, "post", slow_receiver)
    sweeper.run_sweeps()
    assert happened[:3] == ["expired"] * 3
    assert happened.count("webhook sent") == 3
    assert not webhooks._sending_deferred.get()


def test_deliveries_wait_in_a_queue_of_their_own_not_in_front_of_the_expiries():
    from smilepay.celery import app

    def queue_of(task: str) -> str:
        return app.amqp.router.route({}, task)["queue"].name

    assert queue_of("payments.tasks.deliver_webhook") == "webhooks"
    assert queue_of("payments.tasks.retry_due_webhooks") == "webhooks"
    assert queue_of("payments.tasks.expire_due_payments") == "default"
    assert queue_of("payments.tasks.settle_interrupted_fundings") == "default"
