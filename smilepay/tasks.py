from celery import shared_task


@shared_task(name="smilepay.ping")
def ping(payload: str = "pong") -> str:
    """Echo: proves a worker is consuming from the broker (used by health checks and tests)."""
    return payload
