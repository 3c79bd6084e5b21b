"""A phone in another time zone than the server reads times in its own, once its browser
has said which (the smilepay_tz cookie); business days stay the deployment's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from payments.limits import daily_spent
from payments.models import Payment
from payments.webhook_payloads import timestamp
from tests.payments import factories as f

pytestmark = pytest.mark.django_db

DEADLINE = datetime(2026, 12, 7, 23, 36, 15, tzinfo=UTC)  # 00:36:15 in Paris


@pytest.fixture
def waiting(client):
    casey = f.customer(balance_minor=1000)
    payment = f.matched_payment(f.merchant(), casey, amount_minor=450)
    deadline = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    Payment.objects.filter(pk=payment.pk).update(expires_at=deadline)
    client.force_login(casey)
    return payment, deadline


def clock(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M:%S")


def test_a_deadline_is_written_in_the_phones_time_zone(client, waiting):
    payment, deadline = waiting
    client.cookies["smilepay_tz"] = "Europe%2FParis"  # as static/js/site.js writes it
    page = client.get(f"/me/payments/{payment.pk}/confirm/").content.decode()
    assert clock(deadline, "Europe/Paris") in page and 'data-time-zone="Europe/Paris"' in page
    assert clock(deadline, "UTC") not in page


def test_an_unknown_zone_falls_back_to_the_deployments(client, waiting, settings):
    payment, deadline = waiting
    client.cookies["smilepay_tz"] = "../../etc/passwd"
    page = client.get(f"/me/payments/{payment.pk}/confirm/").content.decode()
    assert clock(deadline, settings.TIME_ZONE) in page
    assert f'data-time-zone="{settings.TIME_ZONE}"' in page


def test_the_days_and_the_timestamps_sent_stay_the_deployments_whoever_reads():
    casey = f.customer(balance_minor=2000)
    payment = f.matched_payment(f.merchant(), casey, amount_minor=700)
    Payment.objects.filter(pk=payment.pk).update(matched_at=DEADLINE)
    with timezone.override("Pacific/Auckland"):  # a reader far east of the server
        assert daily_spent(casey.pk, DEADLINE) == 700
        assert timestamp(DEADLINE) == "2026-12-07T23:36:15Z"
