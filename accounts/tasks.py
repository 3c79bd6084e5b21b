from celery import shared_task

from accounts.push import deliver


@shared_task(name="accounts.send_push", ignore_result=True)
def send_push(subscription_id: int, payload: str) -> str:
    """Deliver one Web Push message to one device (see accounts.push.deliver)."""
    return deliver(subscription_id=subscription_id, payload=payload)
