"""The embedded sweeper (no Celery beat on the default) expires overdue payments on time:
reads no longer do it, so nothing else writes the expiry down when nobody acts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError, connection
from django.utils import timezone

from payments.models import LedgerAccount, Payment
from smilepay import sweeper
from tests.payments import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def _status_and_hold(payment_id: int, customer_id: int) -> tuple[str, int | None]:
    try:
        payment = Payment.objects.get(pk=payment_id)
        wallet = LedgerAccount.objects.get(kind="customer", user_id=customer_id)
        return payment.status, wallet.held_minor
    except OperationalError as exc:
        # SQLite's shared in-memory test database locks whole tables while the sweeper
        # writes, and a reader is refused rather than kept waiting: read again next turn.
        if "locked" not in str(exc):
            raise
        return "", None
    finally:
        connection.close()  # this worker thread's own connection


def test_the_embedded_sweeper_expires_an_overdue_payment_nobody_reads(settings):
    settings.EMBEDDED_SWEEPS = True
    settings.EMBEDDED_SWEEP_SECONDS = 0.05
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.matched_payment(cafe, casey, amount_minor=300)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    read = sync_to_async(_status_and_hold, thread_sensitive=False)

    async def until_expired() -> tuple[str, int]:
        sweeper.ensure_started()
        try:
            while (seen := await read(payment.pk, casey.pk))[0] != Payment.Status.EXPIRED:
                await asyncio.sleep(0.05)
            return seen
        finally:
            await sweeper.stop()

    assert asyncio.run(asyncio.wait_for(until_expired(), timeout=60)) == (Payment.Status.EXPIRED, 0)
