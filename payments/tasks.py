"""Celery tasks of payments: webhook delivery and the periodic sweeps."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from payments import webhooks
from payments.models import IdempotencyRecord, Payment, WebhookDelivery


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_webhook(self, delivery_id: int) -> str:
    delivery = webhooks.attempt_delivery(delivery_id=delivery_id)
    if delivery.status == WebhookDelivery.Status.PENDING and not settings.CELERY_TASK_ALWAYS_EAGER:
        # Backoff through Celery; the beat sweep below is the safety net (and, with
        # eager tasks, the only retry, so a test never sleeps through a backoff).
        raise self.retry(countdown=webhooks.backoff_seconds(delivery.attempts))
    return delivery.status


@shared_task
def retry_due_webhooks(limit: int = 200) -> int:
    # With a worker, Celery's own retry is due first; the sweep only picks up deliveries
    # it lost (a worker restart), so the two rarely try the same delivery at once.
    grace = timedelta(0 if settings.CELERY_TASK_ALWAYS_EAGER else 120)
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now() - grace
        ).values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        webhooks.attempt_delivery(delivery_id=delivery_id)
    return len(due)


@shared_task
def expire_due_payments(limit: int = 500) -> int:
    from payments.services import payment_expire

    due = list(
        Payment.objects.filter(
            status__in=Payment.OPEN_STATUSES, expires_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:limit]
    )
    for payment_id in due:
        payment_expire(payment_id=payment_id)
    return len(due)


@shared_task
def prune_idempotency_records() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
