"""Celery tasks of payments: online checkout's face check, webhook delivery and the
periodic sweeps."""

from __future__ import annotations

import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from payments import funding, webhooks
from payments.models import IdempotencyRecord, Payment, WebhookDelivery
from payments.online.services import face_check_run
from payments.services import payment_expire, payment_fail


@shared_task(name="payments.tasks.verify_online_face", acks_late=True, ignore_result=True)
def verify_online_face(
    payment_id: int, customer_id: int, attempt: int, frames_key: str, burst: dict
) -> str:
    """One online burst's 1:1 check, on the `recognition` queue (CELERY_TASK_ROUTES) like
    the kiosk's search. Safe to run twice; a late run for an older try does nothing."""
    return face_check_run(
        payment_id=payment_id,
        customer_id=customer_id,
        attempt=attempt,
        frames_key=frames_key,
        burst=burst,
    )


@shared_task(bind=True, max_retries=None, acks_late=True, ignore_result=True)
def deliver_webhook(self, delivery_id: int) -> str:
    delivery = webhooks.attempt_delivery(delivery_id=delivery_id)
    if delivery.status == WebhookDelivery.Status.PENDING and not settings.CELERY_TASK_ALWAYS_EAGER:
        # Backoff through Celery; the beat sweep below is the safety net (and, with
        # eager tasks, the only retry, so a test never sleeps through a backoff).
        raise self.retry(countdown=webhooks.backoff_seconds(delivery.attempts))
    return delivery.status


@shared_task
def retry_due_webhooks(limit: int = 200, budget_seconds: float | None = None) -> int:
    # With a worker, Celery's own retry is due first; the sweep only picks up deliveries
    # whose message was lost (a worker killed, a broker restarted or down when the
    # change committed), so the two rarely try the same delivery at once.
    grace = timedelta(
        seconds=0 if settings.CELERY_TASK_ALWAYS_EAGER else settings.WEBHOOK_SWEEP_GRACE_SECONDS
    )
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now() - grace
        ).values_list("pk", flat=True)[:limit]
    )
    # A round is time-boxed (`budget_seconds`, by default WEBHOOK_SWEEP_BUDGET_SECONDS):
    # slow receivers (each up to WEBHOOK_TIMEOUT_SECONDS) must not hold the worker, or
    # the embedded sweeper's round, away from expiring payments; the rest waits for the
    # next round. Each delivery is claimed first, so rounds that overlap never send the
    # same event twice.
    budget = settings.WEBHOOK_SWEEP_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    lease = settings.WEBHOOK_TIMEOUT_SECONDS + 60
    tried = 0
    for delivery_id in due:
        if time.monotonic() >= deadline:
            break
        if not webhooks.claim_due(delivery_id=delivery_id, lease_seconds=lease):
            continue
        webhooks.attempt_delivery(delivery_id=delivery_id)
        tried += 1
    return tried


@shared_task
def expire_due_payments(limit: int = 500) -> int:
    due = list(
        Payment.objects.filter(
            Payment.awaiting_expiry_q(), expires_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:limit]
    )
    for payment_id in due:
        payment_expire(payment_id=payment_id)
    return len(due)


@shared_task
def fail_stuck_matching(limit: int = 200) -> int:
    """Fail payments whose recognition did not finish in time (retry allowed).

    A recognition, at the kiosk or online, claims its upload before the work, so a worker
    killed mid-way (or a message lost, or never sent) would leave the payment matching
    until it expires; the kiosk and the customer would wait for nothing. The kiosk and
    the customer's phone are told through the usual status change.
    """

    cutoff = timezone.now() - timedelta(seconds=settings.PAYMENT_MATCHING_TIMEOUT_SECONDS)
    stuck = list(
        Payment.objects.filter(status=Payment.Status.MATCHING, updated_at__lte=cutoff).values_list(
            "pk", "match_attempts"
        )[:limit]
    )
    for payment_id, attempt in stuck:
        payment_fail(payment_id=payment_id, reason="recognition_timeout", attempt=attempt)
    return len(stuck)


@shared_task
def settle_interrupted_fundings() -> int:
    return funding.settle_interrupted_fundings()


@shared_task
def prune_idempotency_records() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
