"""The notification's own Approve / Decline buttons answer in one tap: the service
worker posts the push's signed answer token back, with no page and no session."""

from __future__ import annotations

import json
import time

import pytest
from django.core import signing
from django.test import Client

from accounts.push import PushMessage
from payments.answer_tokens import MAX_AGE_SECONDS, answer_token
from payments.models import LedgerAccount, Payment
from tests.payments import factories as f
from tests.payments.online_helpers import face_pay_customer, online_request

pytestmark = pytest.mark.django_db


def tap(payment: Payment, action: str, token: str | None = None):
    """What the service worker sends: no cookie, no CSRF token, just JSON."""
    token = token or answer_token(payment_id=payment.pk, customer_id=payment.customer_id)
    return Client(enforce_csrf_checks=True).post(
        f"/me/payments/{payment.pk}/answer/",
        json.dumps({"token": token, "action": action}),
        content_type="application/json",
    )


def test_approve_on_the_notification_pays_once_however_often_it_is_tapped():
    casey = f.customer(balance_minor=1000)
    payment = f.matched_payment(f.merchant(name="Corner Café"), casey, amount_minor=450)
    first, again = tap(payment, "approve"), tap(payment, "approve")
    assert first.status_code == 200 and first.json()["status"] == "succeeded"
    assert first.json()["message"] == "Approved: you paid $4.50 to Corner Café."
    assert again.json()["status"] == "succeeded"
    wallet = LedgerAccount.objects.get(kind="customer", user=casey)
    assert (wallet.balance_minor, wallet.held_minor) == (550, 0)


def test_decline_on_the_notification_releases_the_hold_and_says_so_in_the_customers_language():
    casey = f.customer(balance_minor=1000)
    casey.language = "fr"
    casey.save(update_fields=["language"])
    payment = f.matched_payment(f.merchant(name="Corner Café"), casey, amount_minor=450)
    answer = tap(payment, "decline")
    assert answer.json()["status"] == "declined"
    assert answer.json()["message"] == "Refusé\u00a0: rien n’a été payé à Corner Café."
    wallet = LedgerAccount.objects.get(kind="customer", user=casey)
    assert (wallet.balance_minor, wallet.held_minor) == (1000, 0)


def test_a_token_answers_only_its_own_payment_and_only_while_it_lives(monkeypatch):
    cafe, casey = f.merchant(), f.customer(balance_minor=2000)
    mine, other = f.matched_payment(cafe, casey), f.matched_payment(cafe, casey)
    token_of_other = answer_token(payment_id=other.pk, customer_id=casey.pk)
    assert tap(mine, "approve", token=token_of_other).status_code == 403
    assert tap(mine, "approve", token=token_of_other[:-2] + "xx").status_code == 403
    assert tap(mine, "wave").status_code == 400
    sent_with_the_push = answer_token(payment_id=mine.pk, customer_id=casey.pk)
    later = time.time() + MAX_AGE_SECONDS + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    expired = tap(mine, "approve", token=sent_with_the_push)
    assert expired.status_code == 403 and expired.json()["error"]["code"] == "answer_expired"
    assert Payment.objects.get(pk=mine.pk).status == "awaiting_confirmation"


def test_an_online_request_is_declined_from_the_notification_but_approved_only_by_face():
    shop, casey = f.merchant(name="Bean Shop"), face_pay_customer(balance_minor=5000)
    payment = online_request(shop, casey)
    refused = tap(payment, "approve")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "face_check_needed"
    assert tap(payment, "decline").json()["status"] == "declined"


def test_the_push_offers_the_buttons_the_payment_allows_with_its_answer_token(
    monkeypatch, django_capture_on_commit_callbacks
):
    from payments import events

    pushes: list[PushMessage] = []
    monkeypatch.setattr(events, "notify_customer", lambda **kw: pushes.append(kw["push"]))
    cafe, casey = f.merchant(), face_pay_customer(balance_minor=5000)
    kiosk_payment = f.matched_payment(cafe, casey)
    online = online_request(cafe, casey)
    with django_capture_on_commit_callbacks(execute=True):
        events.ask_customer_to_confirm(kiosk_payment, merchant_name="Corner Café")
        events.ask_customer_to_confirm(online, merchant_name="Bean Shop")
    for push in pushes:
        assert push.answer_url.endswith("/answer/") and push.answer_token
    assert [a["action"] for a in pushes[0].actions] == ["approve", "decline"]
    assert [a["action"] for a in pushes[1].actions] == ["decline"]


def test_a_deleted_account_cannot_be_charged_by_the_notification_left_on_its_phone():
    from accounts.services import account_delete

    casey = f.customer(balance_minor=1000)
    payment = f.matched_payment(f.merchant(), casey, amount_minor=450)
    token = answer_token(payment_id=payment.pk, customer_id=casey.pk)
    account_delete(user_id=casey.pk)
    # Deleting the account declined what waited on it, and released the hold.
    assert Payment.objects.get(pk=payment.pk).status == "declined"
    wallet = LedgerAccount.objects.get(kind="customer", user=casey)
    assert (wallet.balance_minor, wallet.held_minor) == (1000, 0)
    assert tap(payment, "approve", token=token).status_code == 403


def test_a_deactivated_customers_notification_answers_nothing():
    casey = f.customer(balance_minor=1000)
    payment = f.matched_payment(f.merchant(), casey, amount_minor=450)
    casey.is_active = False
    casey.save(update_fields=["is_active"])
    assert tap(payment, "approve").status_code == 403
    assert Payment.objects.get(pk=payment.pk).status == "awaiting_confirmation"
