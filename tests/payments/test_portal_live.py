"""The phone knows a payment is waiting: the customer websocket's state lists pending
confirmations (payments adds them through accounts' signal), and a push that fails
makes the kiosk send the customer to the app."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.consumers import customer_state
from accounts.push import push_subscribe
from kiosk.selectors import kiosk_payment_state
from payments import services
from payments.models import Payment
from payments.selectors import payment_events
from tests.payments import factories as f
from tests.webpush import Browser

pytestmark = pytest.mark.django_db


def subscribe(user, browser: Browser) -> None:
    sub = browser.subscription_json()
    push_subscribe(
        user_id=user.pk,
        endpoint=sub["endpoint"],
        p256dh=sub["keys"]["p256dh"],
        auth=sub["keys"]["auth"],
    )


def test_the_websocket_state_lists_a_payment_waiting_for_the_customer():
    cafe = f.merchant(name="Corner Café")
    casey = f.customer(balance_minor=5000)
    counter = f.kiosk(cafe, name="Counter 2")
    payment = f.matched_payment(cafe, casey, amount_minor=450, kiosk_=counter)
    [pending] = customer_state(user_id=casey.pk)["pending"]
    assert pending["payment_id"] == payment.pk
    assert pending["amount"] == "$4.50" and pending["merchant"] == "Corner Café"
    assert pending["place"] == "Counter 2" and pending["answer_here"] is True
    assert pending["url"] == f"/me/payments/{payment.pk}/confirm/"


def test_decided_and_overdue_payments_leave_the_state_which_writes_nothing():
    cafe, casey = f.merchant(), f.customer(balance_minor=5000)
    approved = f.matched_payment(cafe, casey)
    services.payment_approve(payment_id=approved.pk, customer_id=casey.pk)
    overdue = f.matched_payment(cafe, casey)
    Payment.objects.filter(pk=overdue.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert customer_state(user_id=casey.pk)["pending"] == []
    # A read never writes: the sweep (or the next transition) expires it.
    assert Payment.objects.get(pk=overdue.pk).status == "awaiting_confirmation"


def test_another_customers_payment_is_not_in_the_state():
    cafe, casey, dana = f.merchant(), f.customer(balance_minor=5000), f.customer()
    f.matched_payment(cafe, casey)
    assert customer_state(user_id=dana.pk)["pending"] == []


def test_the_dashboard_renders_a_waiting_payment_with_approve_and_decline(client):
    cafe, casey = f.merchant(name="Corner Café"), f.customer(balance_minor=5000)
    payment = f.matched_payment(cafe, casey, amount_minor=450)
    client.force_login(casey)
    page = client.get("/me/").content.decode()
    assert f'data-payment-id="{payment.pk}"' in page
    assert 'value="approve"' in page and 'value="decline"' in page
    assert "portal/dashboard.js" in page


def test_a_customer_without_a_phone_for_notifications_is_sent_to_the_app_at_the_kiosk():
    cafe, casey = f.merchant(), f.customer(balance_minor=5000)
    payment = f.matched_payment(cafe, casey)
    assert kiosk_payment_state(payment=payment)["phone_unreachable"] is True


def test_a_failed_push_tells_the_kiosk_to_send_the_customer_to_the_app(
    push_service, django_capture_on_commit_callbacks
):
    cafe, casey = f.merchant(), f.customer(balance_minor=5000)
    subscribe(casey, Browser(push_service.origin + "/broken"))
    push_service.status_for["/broken"] = 503
    with django_capture_on_commit_callbacks(execute=True):
        payment = f.matched_payment(cafe, casey)
    assert len(push_service.received) == 1
    payment.refresh_from_db()
    assert payment_events(payment_id=payment.pk).filter(name="payment.push_failed").exists()
    assert kiosk_payment_state(payment=payment)["phone_unreachable"] is True


def test_a_delivered_push_leaves_the_kiosk_as_it_was(
    push_service, django_capture_on_commit_callbacks
):
    cafe, casey = f.merchant(), f.customer(balance_minor=5000)
    subscribe(casey, Browser(push_service.origin + "/phone"))
    with django_capture_on_commit_callbacks(execute=True):
        payment = f.matched_payment(cafe, casey)
    assert len(push_service.received) == 1
    assert not payment_events(payment_id=payment.pk).filter(name="payment.push_failed").exists()
    assert kiosk_payment_state(payment=payment)["phone_unreachable"] is False
