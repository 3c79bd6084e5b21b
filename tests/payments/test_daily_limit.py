"""The daily limit counts what was paid today, the deployment's today: a payment the shop
started before midnight and the customer confirmed after it counts on the day it is paid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payments import services
from payments.limits import daily_spent
from payments.models import Payment
from tests.payments import factories as f
from tests.payments.test_concurrency import limited_customer

pytestmark = pytest.mark.django_db


def test_payments_started_yesterday_and_paid_today_count_against_todays_limit():
    cafe, casey = f.merchant(), limited_customer(daily_limit_minor=1000)
    counter = f.kiosk(cafe)
    started = []
    for _ in range(3):
        payment = f.kiosk_payment(cafe, amount_minor=500, kiosk_=counter)
        started.append(payment.pk)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    Payment.objects.filter(pk__in=started).update(created_at=yesterday)
    outcomes = []
    for payment_id in started:
        services.payment_start_matching(payment_id=payment_id)
        outcomes.append(services.payment_match(payment_id=payment_id, customer_id=casey.pk))
    assert [(p.status, p.reason) for p in outcomes][-1] == ("declined", "over_daily_limit")
    assert sum(p.held_minor for p in outcomes) == 1000


def test_the_day_is_the_deployments_not_utcs(settings):
    settings.TIME_ZONE = "Europe/Paris"
    casey = f.customer(balance_minor=2000)
    payment = f.matched_payment(f.merchant(), casey, amount_minor=700)
    # Held at 23:30 in Paris (22:30 UTC); it is now 00:30 in Paris (23:30 UTC, same UTC day).
    held = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    Payment.objects.filter(pk=payment.pk).update(matched_at=held)
    assert daily_spent(casey.pk, datetime(2026, 12, 7, 23, 30, tzinfo=UTC)) == 0
    assert daily_spent(casey.pk, datetime(2026, 12, 7, 22, 45, tzinfo=UTC)) == 700
