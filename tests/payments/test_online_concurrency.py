"""Password guesses racing on one online payment each count as a try (PostgreSQL)."""

import pytest

from payments.models import Payment
from payments.online import services as online
from tests.concurrency import run_concurrently, without_row_locks
from tests.payments import factories as f
from tests.payments.online_helpers import online_request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
N = 8


def race_wrong_passwords(settings) -> tuple[Payment, int]:
    settings.PAYMENT_MAX_MATCH_ATTEMPTS = 3
    # The payment's own try count is under test here, not the sign-in lockout (which
    # counts each try before its hash too, and would stop the control at its limit).
    settings.LOGIN_FAILURES_PER_ACCOUNT = settings.LOGIN_FAILURES_PER_IP = 100
    dana = f.customer(balance_minor=5000)  # no face pay: she confirms with her password
    payment = online_request(f.merchant(), dana)
    checked, _errors = run_concurrently(
        N,
        lambda i: online.online_password_confirm(
            payment_id=payment.pk, customer_id=dana.pk, password=f"guess-{i}", ip="test"
        ),
        hold_before_writing=Payment,
    )
    payment.refresh_from_db()
    # A thread that got a payment back had its password checked; the others were refused.
    return payment, len([result for result in checked if result is not None])


def test_concurrent_password_guesses_never_pass_the_attempt_limit(on_postgres, settings):
    payment, checks = race_wrong_passwords(settings)
    assert checks == payment.match_attempts <= 3


def test_without_the_payment_lock_guesses_run_past_the_count(on_postgres, settings, monkeypatch):
    """The control: without the lock every guess is checked and the count loses them."""
    without_row_locks(monkeypatch, Payment)
    payment, checks = race_wrong_passwords(settings)
    assert checks == N
    assert payment.match_attempts < N
