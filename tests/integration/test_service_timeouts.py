"""Every connection to a service has a bound: PostgreSQL waits for a locked row only so
long, Redis (cache, broker, results) answers or times out. A stuck lock or a hung Redis
then costs a request seconds and a 503, not the whole web process."""

from __future__ import annotations

import subprocess
import threading

import pytest
from django.db import OperationalError, connection, transaction

from payments import services
from payments.models import Payment
from tests.payments import factories as f
from tests.services import clean_env, python

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_row_held_elsewhere_fails_the_waiting_request_instead_of_holding_it(on_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "10s"  # DATABASE_LOCK_TIMEOUT_MS
    casey = f.customer(balance_minor=1000)
    payment = f.matched_payment(f.merchant(), casey, amount_minor=450)
    locked, release = threading.Event(), threading.Event()

    def operator_holds_the_row() -> None:
        from django.db import connection as own

        try:
            with transaction.atomic():
                Payment.objects.select_for_update().get(pk=payment.pk)
                locked.set()
                release.wait(timeout=60)
        finally:
            own.close()

    holder = threading.Thread(target=operator_holds_the_row)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")  # the same rule, sooner
        with pytest.raises(OperationalError, match="lock timeout"):
            services.payment_approve(payment_id=payment.pk, customer_id=casey.pk)
    finally:
        release.set()
        holder.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert Payment.objects.get(pk=payment.pk).status == "awaiting_confirmation"


def test_every_redis_client_is_configured_to_give_up(tmp_path):
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CACHES['default']['OPTIONS']['socket_timeout'], "
        "s.CELERY_BROKER_TRANSPORT_OPTIONS['socket_timeout'], s.CELERY_REDIS_SOCKET_TIMEOUT, "
        "s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['socket_timeout'])"
    )
    env = clean_env(
        REDIS_URL="redis://127.0.0.1:6379/15",
        SMILEPAY_LOCAL_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="smilepay.settings",
    )
    out = subprocess.run(
        [python(), "-c", probe], env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert [float(x) for x in out.split()] == [5, 10, 10, 15]
