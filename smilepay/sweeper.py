"""The periodic sweeps, run by the web server itself on the embedded default.

In production Celery beat runs the sweeps (`CELERY_BEAT_SCHEDULE`). The embedded default
(`make run`: no broker, eager tasks, in-memory channel layer) has no beat, yet an
unanswered kiosk payment must still expire on time, a webhook whose try failed must be
retried and a stuck recognition failed, and the kiosk and the merchant must see it live.

The in-memory channel layer's queues belong to the server's event loop, so the sweeps
run from an asyncio task in that loop (a plain thread with a loop of its own could not
reach the websockets). Each round calls the same Celery task functions in a worker
thread (`sync_to_async`); their websocket pushes go back to this loop through
`async_to_sync`. The task starts with the server (ASGI lifespan) or, when lifespan is
off (`make run` serves with `--lifespan off`), with the first request or websocket.
It runs only when `EMBEDDED_SWEEPS` is on (the default without a broker; off in the
test settings) and never in management commands, which do not run the ASGI app.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

from payments import tasks, webhooks

logger = logging.getLogger(__name__)

# One sweeper per event loop (a server process has one loop; tests may run several).
_started: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task] = (
    weakref.WeakKeyDictionary()
)


# Most of one round the webhook retries may take; each try ends within its own timeout.
WEBHOOK_BUDGET_SECONDS = 15.0


def run_sweeps() -> dict[str, int]:
    """One round of every sweep, in the calling thread; returns what each one did."""

    close_old_connections()
    try:
        # Webhooks these changes cause are sent by the budgeted phase below, not inline
        # (tasks are eager here): a slow receiver must not delay the next expiry.
        with webhooks.sending_deferred():
            expired = tasks.expire_due_payments()
            stuck_failed = tasks.fail_stuck_matching()
            fundings_settled = tasks.settle_interrupted_fundings()
        return {
            "expired": expired,
            "stuck_failed": stuck_failed,
            "fundings_settled": fundings_settled,
            # Last, and for a bounded time: the next round's expiries come first.
            "webhooks_retried": tasks.retry_due_webhooks(budget_seconds=WEBHOOK_BUDGET_SECONDS),
        }
    finally:
        # The thread may be a different one next round: leave no connection behind.
        connections.close_all()


async def _sweep_forever(interval: float) -> None:
    # thread_sensitive=False: a slow webhook receiver must not hold up the one thread
    # that the consumers' database calls share.
    sweep = sync_to_async(run_sweeps, thread_sensitive=False)
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep()
        except Exception:  # one bad round must not stop the next ones
            logger.exception("embedded sweep failed")


def ensure_started() -> None:
    """Start the sweeper in the running loop once, if this deployment wants it."""
    if not settings.EMBEDDED_SWEEPS:
        return
    loop = asyncio.get_running_loop()
    task = _started.get(loop)
    if task is None or task.done():
        _started[loop] = loop.create_task(_sweep_forever(settings.EMBEDDED_SWEEP_SECONDS))


async def stop() -> None:
    task = _started.pop(asyncio.get_running_loop(), None)
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class EmbeddedSweeps:
    """ASGI wrapper: starts the sweeper with the server, answers lifespan itself."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        ensure_started()
        await self.app(scope, receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                ensure_started()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await stop()
                await send({"type": "lifespan.shutdown.complete"})
                return
