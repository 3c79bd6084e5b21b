"""Online checkout through the services and the confirm page, with the face engine's
verdict stood in (tests/payments/test_online_faces.py runs the real engine)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.recognition import Outcome, RecognitionResult
from merchants import services as merchant_services
from merchants.models import Merchant
from payments import selectors
from payments.models import LedgerAccount, Payment, RecognitionAttempt, WebhookDelivery
from payments.online import services as online
from payments.selectors import payment_events
from payments.tasks import expire_due_payments
from tests.payments import factories as f
from tests.payments.online_helpers import face_pay_customer, online_request, post_face_burst

# The face check is enqueued when its try commits, as in production: real commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    merchant = f.merchant(name="Bean Shop")
    merchant_services.webhook_endpoint_create(
        merchant_id=merchant.pk, url="https://shop.example/hook"
    )
    return merchant


@pytest.fixture
def casey(client):
    user = face_pay_customer(balance_minor=5000)
    client.force_login(user)
    return user


@pytest.fixture
def engine(monkeypatch):
    """Stand-in for the face check: set `engine.outcome`; records what it was given."""

    class Engine:
        outcome = Outcome.MATCHED
        calls: list = []

        def __call__(self, *, frames, customer_id, templates, **_):
            self.calls.append((len(frames), len(templates)))
            verified = self.outcome == Outcome.MATCHED
            return RecognitionResult(
                self.outcome,
                customer_id=customer_id if verified else None,
                best_distance=0.2 if verified else 0.6,
                threshold=0.31,
            )

    fake = Engine()
    monkeypatch.setattr(online, "verify_burst", fake)
    return fake


def jpeg_frames(count: int = 8) -> list[bytes]:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(out, "JPEG")
    return [out.getvalue()] * count


def post_burst(client, payment, count: int = 8):
    return post_face_burst(client, payment.pk, jpeg_frames(count))


def test_the_confirm_page_shows_merchant_amount_description_and_the_face_button(
    casey, client, shop
):
    payment = online_request(shop, casey, amount_minor=1299, description="Coffee beans 1 kg")
    html = client.get(f"/me/payments/{payment.pk}/confirm/").content.decode()
    assert "Bean Shop" in html and "$12.99" in html and "Coffee beans 1 kg" in html
    assert "Confirm with my face" in html and "confirm_face.js" in html
    assert 'id="decline-form"' in html and 'name="password"' not in html


def test_the_right_face_captures_the_payment_and_goes_back_to_the_shop(casey, client, shop, engine):
    payment = online_request(shop, casey, amount_minor=1299)
    answer = post_burst(client, payment)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "succeeded" and body["final"] is True
    assert body["redirect"] == (
        f"https://shop.example/return?order=7&payment_id={payment.pk}&status=succeeded"
    )
    assert engine.calls == [(8, 3)]  # the burst against this customer's own 3 templates
    assert LedgerAccount.objects.get(user=casey).balance_minor == 5000 - 1299
    names = list(payment_events(payment_id=payment.pk).values_list("name", flat=True))
    assert names == [
        "payment.created",
        "payment.matching",
        "recognition.attempted",
        "payment.face_verified",
        "payment.awaiting_confirmation",
        "payment.succeeded",
    ]
    attempt = RecognitionAttempt.objects.get(payment=payment)
    assert (attempt.outcome, attempt.customer_id, attempt.kiosk_id) == ("matched", casey.pk, None)
    assert WebhookDelivery.objects.filter(event_type="payment.succeeded").count() == 1
    # Answering again changes nothing.
    assert post_burst(client, payment).status_code == 409
    assert LedgerAccount.objects.get(user=casey).balance_minor == 5000 - 1299


def test_a_face_that_is_not_theirs_fails_and_may_retry_within_the_limit(
    casey, client, shop, engine, settings
):
    settings.PAYMENT_MAX_MATCH_ATTEMPTS = 3
    payment = online_request(shop, casey)
    engine.outcome = Outcome.NO_MATCH
    first = post_burst(client, payment).json()
    assert (first["status"], first["reason"], first["attempts_left"]) == ("failed", "no_match", 2)
    assert first["final"] is False and first["redirect"] == ""
    engine.outcome = Outcome.NOT_LIVE
    second = post_burst(client, payment).json()
    assert (second["reason"], second["attempts_left"]) == ("not_live", 1)
    last = post_burst(client, payment).json()
    assert (last["status"], last["reason"], last["final"]) == ("failed", "too_many_attempts", True)
    assert last["redirect"].endswith(f"payment_id={payment.pk}&status=failed")
    # The merchant hears of each failure; the last one says no retry is left.
    failed = WebhookDelivery.objects.filter(event_type="payment.failed").order_by("id")
    assert [d.payload["data"]["object"]["reason"] for d in failed] == [
        "no_match",
        "not_live",
        "too_many_attempts",
    ]
    engine.outcome = Outcome.MATCHED
    assert post_burst(client, payment).status_code == 409
    assert Payment.objects.get(pk=payment.pk).status == "failed"
    assert LedgerAccount.objects.get(user=casey).balance_minor == 5000
    assert RecognitionAttempt.objects.filter(payment=payment).count() == 3


def test_limits_and_balance_still_apply(client, shop, engine):
    poor = face_pay_customer(balance_minor=100)
    client.force_login(poor)
    payment = online_request(shop, poor, amount_minor=1299)
    body = post_burst(client, payment).json()
    assert (body["status"], body["reason"], body["final"]) == (
        "declined",
        "insufficient_funds",
        True,
    )


def test_the_confirm_page_says_before_any_face_scan_what_would_refuse_the_payment(client, shop):
    from accounts.services import SettingsChange, customer_settings_update

    poor = face_pay_customer(balance_minor=100)
    client.force_login(poor)
    payment = online_request(shop, poor, amount_minor=1299)
    page = client.get(f"/me/payments/{payment.pk}/confirm/").content.decode()
    assert "Your wallet does not hold enough for this payment." in page
    assert 'href="/me/wallet/"' in page and 'id="confirm-face"' not in page

    careful = face_pay_customer(balance_minor=5000)
    customer_settings_update(
        user_id=careful.pk,
        change=SettingsChange(
            always_require_phone_digits=False,
            per_payment_limit_minor=1000,
            daily_limit_minor=None,
            auto_approve_below_minor=0,
        ),
    )
    client.force_login(careful)
    payment = online_request(shop, careful, amount_minor=1299)
    page = client.get(f"/me/payments/{payment.pk}/confirm/", HTTP_ACCEPT_LANGUAGE="fr")
    said = page.content.decode()
    assert "Ce paiement est au-dessus de votre plafond par paiement." in said
    assert 'href="/me/settings/"' in said and "du client" not in said


def test_decline_before_any_check_tells_the_merchant(casey, client, shop):
    payment = online_request(shop, casey)
    answer = client.post(f"/me/payments/{payment.pk}/confirm/decline/")
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"payment_id={payment.pk}&status=declined")
    payment.refresh_from_db()
    assert (payment.status, payment.reason) == ("declined", "customer_declined")
    assert WebhookDelivery.objects.filter(event_type="payment.declined").count() == 1
    # Twice is a no-op.
    client.post(f"/me/payments/{payment.pk}/confirm/decline/")
    assert WebhookDelivery.objects.filter(event_type="payment.declined").count() == 1


def test_customers_without_face_pay_confirm_with_their_password(client, shop):
    dana = f.customer(balance_minor=5000)  # password "pw-for-tests", never enrolled
    client.force_login(dana)
    payment = online_request(shop, dana, amount_minor=500)
    url = f"/me/payments/{payment.pk}/confirm/"
    html = client.get(url).content.decode()
    assert 'name="password"' in html and "Confirm with my face" not in html
    wrong = client.post(url + "password/", {"password": "nope"})
    assert wrong.status_code == 302 and wrong["Location"] == url
    assert Payment.objects.get(pk=payment.pk).reason == "wrong_password"
    right = client.post(url + "password/", {"password": "pw-for-tests"})
    assert right["Location"].endswith("status=succeeded")
    assert LedgerAccount.objects.get(user=dana).balance_minor == 4500
    assert payment_events(payment_id=payment.pk).filter(name="payment.password_verified").exists()
    # A face pay customer cannot skip the face check with the password.
    with pytest.raises(online.CheckoutError):
        casey = face_pay_customer()
        other = online_request(shop, casey)
        online.online_password_confirm(
            payment_id=other.pk, customer_id=casey.pk, password="pw-for-tests", ip="test"
        )


def test_a_password_try_the_lockout_refuses_starts_no_try_of_the_payment(
    shop, settings, monkeypatch
):
    """Guesses in flight elsewhere used the account's last tries: this one is refused
    before the payment moves, so it is not left matching and keeps all its tries."""
    from accounts import signin_limits

    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    # A look at the count taken before the others counted their tries saw room left.
    monkeypatch.setattr(signin_limits, "password_check_allowed", lambda **kwargs: None)
    dana = f.customer(balance_minor=5000)
    payment = online_request(shop, dana, amount_minor=500)
    for _ in range(2):  # two guesses being hashed right now
        signin_limits.password_try(user_id=dana.pk, ip="elsewhere")
    with pytest.raises(signin_limits.RateLimited):
        online.online_password_confirm(
            payment_id=payment.pk, customer_id=dana.pk, password="pw-for-tests", ip="test"
        )
    payment.refresh_from_db()
    assert (payment.status, payment.match_attempts) == ("created", 0)


def test_nobody_else_can_open_or_answer_the_request(casey, client, shop, engine):
    payment = online_request(shop, casey)
    mallory = face_pay_customer()
    client.force_login(mallory)
    base = f"/me/payments/{payment.pk}/confirm/"
    assert client.get(base).status_code == 404
    assert post_burst(client, payment).status_code == 404
    assert client.post(base + "decline/").status_code == 404
    assert client.post(base + "password/", {"password": "pw-for-tests"}).status_code == 404
    assert Payment.objects.get(pk=payment.pk).status == "created"
    client.logout()
    assert client.get(base).status_code == 302  # to the sign-in page


def test_the_online_actions_do_not_exist_for_the_customers_own_kiosk_payment(casey, client):
    kiosk_payment = f.matched_payment(f.merchant(), casey, amount_minor=300)
    base = f"/me/payments/{kiosk_payment.pk}/confirm/"
    quiet = Client(raise_request_exception=False)
    quiet.force_login(casey)
    for action, form in (("decline/", {}), ("password/", {"password": "pw-for-tests"})):
        assert quiet.post(base + action, form).status_code == 404, action
    assert Payment.objects.get(pk=kiosk_payment.pk).status == "awaiting_confirmation"


def test_an_expired_request_cannot_be_confirmed(casey, client, shop, engine):
    payment = online_request(shop, casey, expires_in=timedelta(seconds=60))
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = post_burst(client, payment)
    assert answer.status_code == 409
    payment.refresh_from_db()
    assert payment.status == "expired"
    assert WebhookDelivery.objects.filter(event_type="payment.expired").count() == 1
    html = client.get(f"/me/payments/{payment.pk}/confirm/").content.decode()
    assert "Expired" in html and f"payment_id={payment.pk}&amp;status=expired" in html


def test_a_burst_of_the_wrong_size_is_refused_before_any_face_work(casey, client, shop, engine):
    payment = online_request(shop, casey)
    answer = post_burst(client, payment, count=2)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "bad_burst"
    assert engine.calls == [] and Payment.objects.get(pk=payment.pk).match_attempts == 0


def test_kiosk_payments_keep_the_approve_page(casey, client):
    payment = f.matched_payment(f.merchant(name="Corner Café"), casey, amount_minor=450)
    html = client.get(f"/me/payments/{payment.pk}/confirm/").content.decode()
    assert 'value="approve"' in html and "Confirm with my face" not in html


def test_the_return_url_keeps_its_own_query():
    shop = Merchant(return_hosts="s.example")
    payment = Payment(
        pk=5, merchant=shop, status="succeeded", return_url="https://s.example/r?o=1#top"
    )
    assert (
        online.return_url_for(payment)
        == "https://s.example/r?o=1&payment_id=5&status=succeeded#top"
    )
    assert online.return_url_for(Payment(pk=5, merchant=shop, status="succeeded")) == ""


def test_a_request_whose_last_try_failed_keeps_that_outcome_after_its_expiry(
    casey, client, shop, engine, settings
):
    """`payment.failed` with `too_many_attempts` told the merchant it is over: the expiry
    must not turn it into a second outcome (`payment.expired`) later."""
    settings.PAYMENT_MAX_MATCH_ATTEMPTS = 1
    payment = online_request(shop, casey)
    engine.outcome = Outcome.NO_MATCH
    assert post_burst(client, payment).json()["reason"] == "too_many_attempts"
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    expire_due_payments()

    stored = Payment.objects.get(pk=payment.pk)
    assert (stored.status, stored.reason) == ("failed", "too_many_attempts")
    assert selectors.payment_get(payment_id=payment.pk).status == "failed"
    assert not WebhookDelivery.objects.filter(event_type="payment.expired").exists()


def test_a_wrong_password_is_said_once_and_the_history_does_not_call_it_a_face(client, shop):
    dana = f.customer(balance_minor=5000)  # never enrolled: she confirms with her password
    client.force_login(dana)
    payment = online_request(shop, dana, amount_minor=500)
    url = f"/me/payments/{payment.pk}/confirm/"
    page = client.post(url + "password/", {"password": "nope"}, follow=True).content.decode()
    assert page.count("That password is not right.") == 1
    history = client.get("/me/payments/").content.decode()
    assert "Not recognised" not in history
    assert "Failed" in history and "wrong password" in history
    assert f'href="{url}"' in history  # tries are left: the row leads back to the request
