"""“Where my face was used” tells a customer about spoof attempts on their face (failed
liveness or a photo held up) that the recognition attributed to them, with time and
place, in words, and lets them report it."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.utils.formats import date_format

from accounts.selectors import customer_face_pay_status
from merchants import services as merchant_services
from merchants.models import Kiosk
from payments import services
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def casey(client):
    user = f.customer(balance_minor=2000)
    client.force_login(user)
    return user


@pytest.fixture
def till():
    cafe = f.merchant(name="Corner Café")
    return merchant_services.kiosk_create(
        merchant_id=cafe.pk, name="Till 9", location="Main Street"
    )


def activity(client) -> str:
    page = client.get("/me/activity/").content.decode()
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def attempt(kiosk: Kiosk, outcome: str, **kwargs):
    return services.recognition_attempt_record(
        payment_id=None, kiosk_id=kiosk.pk, outcome=outcome, **kwargs
    )


def test_a_photo_of_the_customer_held_up_at_a_kiosk_is_shown_with_time_and_place(
    casey, client, till
):
    spoof = attempt(till, "presentation_attack", customer_id=casey.pk)
    text = activity(client)
    assert (
        "Someone tried to pay with a photo or screen showing your face at "
        "Corner Café, Till 9 (Main Street). It was refused: nothing was paid." in text
    )
    assert date_format(spoof.created_at, "DATETIME_FORMAT") in text  # "7 Dec 2026 14:30"
    assert "presentation_attack" not in text


def test_a_failed_liveness_check_on_the_customers_face_is_shown(casey, client, till):
    attempt(till, "not_live", near_customer_ids=[casey.pk])
    text = activity(client)
    assert "Someone tried to pay with your face at Corner Café, Till 9 (Main Street)" in text
    assert "not_live" not in text


def test_spoof_attempts_on_someone_else_are_not_shown(casey, client, till):
    attempt(till, "presentation_attack", customer_id=f.customer().pk)
    attempt(till, "not_live")
    assert "Someone tried" not in activity(client)
    assert "Your face has not been used yet." in activity(client)


def test_reporting_a_spoof_attempt_pauses_face_pay(casey, client, till):
    spoof = attempt(till, "presentation_attack", customer_id=casey.pk)
    assert "This wasn't me" in activity(client)
    client.post(f"/me/activity/{spoof.pk}/flag/")
    spoof.refresh_from_db()
    assert spoof.flagged_by_customer_at is not None
    assert customer_face_pay_status(user_id=casey.pk).paused
    assert "You reported this" in activity(client)


def test_a_match_reads_as_a_sentence_with_the_payment_outcome(casey, client, till):
    payment = f.matched_payment(Kiosk.objects.get(pk=till.pk).merchant, casey, kiosk_=till)
    attempt(till, "matched", customer_id=casey.pk)
    services.recognition_attempt_record(
        payment_id=payment.pk, kiosk_id=till.pk, outcome="matched", customer_id=casey.pk
    )
    services.payment_approve(payment_id=payment.pk, customer_id=casey.pk)
    text = activity(client)
    assert "Your face was recognised at Corner Café, Till 9 (Main Street)." in text
    assert "Payment: paid" in text


def test_a_declined_match_says_why_in_the_customers_words(casey, client, till):
    payment = f.matched_payment(Kiosk.objects.get(pk=till.pk).merchant, casey, kiosk_=till)
    services.recognition_attempt_record(
        payment_id=payment.pk, kiosk_id=till.pk, outcome="matched", customer_id=casey.pk
    )
    services.payment_decline(payment_id=payment.pk, customer_id=casey.pk)
    assert "Payment: declined (you declined it)" in activity(client)


def test_an_online_face_check_names_the_shop_it_was_for(casey, client):
    from tests.payments.online_helpers import online_request

    payment = online_request(f.merchant(name="Bean Shop"), casey)
    services.recognition_attempt_record(
        payment_id=payment.pk, kiosk_id=None, outcome="matched", customer_id=casey.pk
    )
    assert "Your face was recognised at Bean Shop (online)." in activity(client)
