"""What goes out after a payment's change has committed (the customer's phone and pages,
the status signal) may fail, as when Redis is down; the change stands and the person who
made it gets their page, not a 500 for something that happened."""

from __future__ import annotations

import pytest

from payments import events
from payments.models import Payment
from payments.signals import payment_status_changed
from tests.payments import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_approval_whose_notifications_fail_after_commit_still_answers(client, monkeypatch):
    def broker_down(**kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    def listener_down(**kwargs):
        raise ConnectionError("the channel layer is unreachable")

    monkeypatch.setattr(events, "notify_customer", broker_down)
    payment_status_changed.connect(listener_down, dispatch_uid="test-listener-down")
    try:
        casey = f.customer(balance_minor=1000)
        payment = f.matched_payment(f.merchant(), casey, amount_minor=450)
        client.force_login(casey)
        answer = client.post(f"/me/payments/{payment.pk}/confirm/", {"action": "approve"})
    finally:
        payment_status_changed.disconnect(dispatch_uid="test-listener-down")
    assert answer.status_code == 302
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
