from celery import shared_task


@shared_task(name="accounts.send_push", ignore_result=True)
def send_push(subscription_id: int, payload: str) -> str:
    """Deliver one Web Push message to one device (see accounts.push.deliver)."""
    from accounts.push import deliver

    return deliver(subscription_id=subscription_id, payload=payload)
