"""A recognition that never finishes (worker killed, message lost) does not hold the
payment in `matching` until it expires: the sweep fails it, and a retry is allowed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kiosk.services import capture_session_open
from payments import services
from payments.models import Payment
from payments.signals import payment_status_changed
from payments.tasks import fail_stuck_matching
from tests.payments import factories as f

pytestmark = pytest.mark.django_db
S = Payment.Status


def matching_since(cafe, *, seconds_ago: int) -> Payment:
    payment = f.kiosk_payment(cafe)
    services.payment_start_matching(payment_id=payment.pk)
    Payment.objects.filter(pk=payment.pk).update(
        updated_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    return payment


def test_the_sweep_fails_a_recognition_past_its_budget_and_tells_the_kiosk(
    settings, django_capture_on_commit_callbacks
):
    settings.PAYMENT_MATCHING_TIMEOUT_SECONDS = 45
    cafe = f.merchant()
    stuck = matching_since(cafe, seconds_ago=46)
    busy = matching_since(cafe, seconds_ago=5)
    told = []

    def kiosk_listener(sender, **kwargs):
        told.append((kwargs["payment_id"], kwargs["status"], kwargs["reason"]))

    payment_status_changed.connect(kiosk_listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert fail_stuck_matching() == 1
    finally:
        payment_status_changed.disconnect(kiosk_listener)
    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert (stuck.status, stuck.reason) == (S.FAILED, "recognition_timeout")
    assert busy.status == S.MATCHING
    assert told == [(stuck.pk, S.FAILED, "recognition_timeout")]
    # Retry allowed: the kiosk opens a new capture for the same payment.
    assert capture_session_open(kiosk_id=stuck.kiosk_id, payment_id=stuck.pk).token


def test_a_late_answer_of_an_abandoned_try_does_not_decide_the_next_one():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = matching_since(cafe, seconds_ago=100)
    fail_stuck_matching()
    services.payment_start_matching(payment_id=payment.pk)  # the customer tries again
    services.payment_match(payment_id=payment.pk, customer_id=casey.pk, attempt=1)
    services.payment_fail(payment_id=payment.pk, reason="no_match", attempt=1)
    payment.refresh_from_db()
    assert (payment.status, payment.match_attempts) == (S.MATCHING, 2)
