import pytest

from payments import services
from payments.models import LedgerAccount, Payment, RecognitionAttempt
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def casey(client):
    user = f.customer(balance_minor=2000)
    client.force_login(user)
    return user


def test_the_dashboard_shows_the_wallet_and_what_waits_for_an_answer(casey, client):
    cafe = f.merchant(name="Corner Café")
    f.matched_payment(cafe, casey, amount_minor=450)
    html = client.get("/me/").content.decode()
    assert "$15.50" in html  # 20.00 minus 4.50 held
    assert "$4.50</b> at Corner Café" in html


def test_the_confirm_page_approves_once_even_when_clicked_twice(casey, client):
    cafe = f.merchant(name="Corner Café")
    payment = f.matched_payment(cafe, casey, amount_minor=450)
    url = f"/me/payments/{payment.pk}/confirm/"
    page = client.get(url).content.decode()
    assert "Corner Café" in page and "$4.50" in page and 'value="approve"' in page
    assert client.post(url, {"action": "approve"}).status_code == 302
    assert client.post(url, {"action": "approve"}).status_code == 302
    assert client.post(url, {"action": "decline"}).status_code == 302
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert LedgerAccount.objects.get(user=casey).balance_minor == 1550
    page = client.get(url).content.decode()
    assert 'value="approve"' not in page
    assert page.count("Approved: you paid $4.50 to Corner Café.") == 1  # said once
    assert "Back to my SmilePay" in page


def test_the_confirm_page_declines(casey, client):
    payment = f.matched_payment(f.merchant(), casey, amount_minor=450)
    page = client.post(f"/me/payments/{payment.pk}/confirm/", {"action": "decline"}, follow=True)
    assert Payment.objects.get(pk=payment.pk).status == "declined"
    assert "Declined: nothing was paid to" in page.content.decode()


def test_a_customer_cannot_open_or_answer_someone_elses_payment(casey, client):
    robin = f.customer(balance_minor=1000)
    theirs = f.matched_payment(f.merchant(), robin, amount_minor=100)
    url = f"/me/payments/{theirs.pk}/confirm/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "approve"}).status_code == 404
    assert Payment.objects.get(pk=theirs.pk).status == "awaiting_confirmation"


def test_confirm_needs_a_sign_in(client):
    payment = f.matched_payment(f.merchant(), f.customer(balance_minor=1000))
    response = client.get(f"/me/payments/{payment.pk}/confirm/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_payment_waiting_for_the_customer_reads_as_their_turn_in_their_history(casey, client):
    f.matched_payment(f.merchant(name="Corner Café"), casey, amount_minor=450)
    html = client.get("/me/payments/").content.decode()
    assert "Waiting for your confirmation" in html
    assert "Waiting for confirmation<" not in html


def test_history_lists_only_my_payments(casey, client):
    cafe = f.merchant()
    f.paid_payment(cafe, casey, amount_minor=321)
    f.paid_payment(cafe, f.customer(balance_minor=1000), amount_minor=654)
    html = client.get("/me/payments/").content.decode()
    assert "$3.21" in html and "$6.54" not in html


def test_activity_shows_matches_and_near_matches_and_this_wasnt_me_pauses_face_pay(
    casey, client, monkeypatch
):
    from payments import recognition_attempts

    paused = []
    pause = lambda *, user_id, reason: paused.append(user_id)  # noqa: E731
    monkeypatch.setattr(recognition_attempts, "face_pay_pause", pause)
    cafe = f.merchant(name="Corner Café")
    counter = f.kiosk(cafe, name="Till 9")
    robin = f.customer()
    near = services.recognition_attempt_record(
        payment_id=None,
        kiosk_id=counter.pk,
        outcome="ambiguous",
        near_customer_ids=[casey.pk, robin.pk],
    )
    services.recognition_attempt_record(
        payment_id=None, kiosk_id=counter.pk, outcome="matched", customer_id=robin.pk
    )
    html = client.get("/me/activity/").content.decode()
    assert (
        "Till 9" in html and html.count("This wasn&#x27;t me") + html.count("This wasn't me") == 1
    )
    client.post(f"/me/activity/{near.pk}/flag/")
    near.refresh_from_db()
    assert near.flagged_by_customer_at is not None
    assert paused == [casey.pk]
    others = RecognitionAttempt.objects.exclude(pk=near.pk).get()
    assert client.post(f"/me/activity/{others.pk}/flag/").status_code == 404


def test_this_wasnt_me_pauses_face_pay_in_accounts_for_real(casey, client):
    from accounts.selectors import customer_face_pay_status

    counter = f.kiosk(f.merchant())
    attempt = services.recognition_attempt_record(
        payment_id=None, kiosk_id=counter.pk, outcome="matched", customer_id=casey.pk
    )
    client.post(f"/me/activity/{attempt.pk}/flag/")
    assert customer_face_pay_status(user_id=casey.pk).paused


def test_a_look_alikes_report_does_not_stand_for_the_matched_customers(casey, client):
    """Both report the same attempt: each one's face pay pauses, each page says so, and
    the look-alike who reported first cannot silence the matched customer's button."""
    from django.test import Client

    from accounts.selectors import customer_face_pay_status

    robin = f.customer()
    attempt = services.recognition_attempt_record(
        payment_id=None,
        kiosk_id=f.kiosk(f.merchant()).pk,
        outcome="matched",
        customer_id=casey.pk,
        near_customer_ids=[robin.pk],
    )
    look_alike = Client()
    look_alike.force_login(robin)
    look_alike.post(f"/me/activity/{attempt.pk}/flag/")
    assert customer_face_pay_status(user_id=robin.pk).paused

    page = client.get("/me/activity/").content.decode()
    assert "You reported this" not in page and "This wasn" in page
    client.post(f"/me/activity/{attempt.pk}/flag/")
    assert customer_face_pay_status(user_id=casey.pk).paused
    assert "You reported this" in client.get("/me/activity/").content.decode()
    assert set(attempt.flagged_by.values_list("pk", flat=True)) == {casey.pk, robin.pk}


def test_a_match_notifies_the_customer_through_accounts(casey, django_capture_on_commit_callbacks):
    from unittest import mock

    with (
        mock.patch("payments.events.notify_customer") as notify,
        django_capture_on_commit_callbacks(execute=True),
    ):
        payment = f.matched_payment(f.merchant(name="Corner Café"), casey, amount_minor=450)
    pushes = [c.kwargs for c in notify.call_args_list if c.kwargs.get("push") is not None]
    assert len(pushes) == 1
    assert pushes[0]["event"]["payment_id"] == payment.pk
    assert pushes[0]["push"].url == f"/me/payments/{payment.pk}/confirm/"
    assert "Corner Café" in pushes[0]["push"].title


def test_the_customers_pages_are_told_whether_a_status_is_final(
    casey, django_capture_on_commit_callbacks
):
    from unittest import mock

    with (
        mock.patch("payments.events.notify_customer") as notify,
        django_capture_on_commit_callbacks(execute=True),
    ):
        payment = f.matched_payment(f.merchant(), casey, amount_minor=300)
        services.payment_approve(payment_id=payment.pk, customer_id=casey.pk)
    told = [
        (c.kwargs["event"]["status"], c.kwargs["event"]["final"])
        for c in notify.call_args_list
        if c.kwargs["event"].get("type") == "payment.status"
    ]
    assert told == [("awaiting_confirmation", False), ("succeeded", True)]


def test_no_confirmation_push_goes_out_for_a_payment_settled_in_the_same_transaction(
    casey, django_capture_on_commit_callbacks
):
    from unittest import mock

    from django.db import transaction

    with (
        mock.patch("payments.events.notify_customer") as notify,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        payment = f.matched_payment(f.merchant(), casey, amount_minor=300)
        services.payment_approve(payment_id=payment.pk, customer_id=casey.pk)
    assert [c for c in notify.call_args_list if c.kwargs.get("push") is not None] == []


def test_the_delete_account_page_warns_of_money_left_in_the_wallet(client):
    rich, broke = f.customer(balance_minor=1650), f.customer(balance_minor=0)
    client.force_login(rich)
    page = client.get("/me/privacy/delete-account/").content.decode()
    assert "Your wallet still holds $16.50. Deleting your account does not pay it out" in page
    client.force_login(broke)
    assert (
        "Your wallet still holds" not in client.get("/me/privacy/delete-account/").content.decode()
    )


def test_a_waiting_online_request_offers_the_way_this_customer_can_confirm_it(client):
    from accounts.services import face_pay_pause
    from tests.payments.online_helpers import face_pay_customer, online_request

    shop = f.merchant()
    for customer, offered in (
        (face_pay_customer(), "Confirm with my face"),
        (f.customer(), "Confirm with my password"),
    ):
        online_request(shop, customer)
        client.force_login(customer)
        page = client.get("/me/").content.decode()
        assert offered in page and page.count("Confirm with my") == 1
    face_pay_pause(user_id=customer.pk, reason="paused by the customer")  # nothing enrolled
    page = client.get("/me/").content.decode()
    assert "turn back on" not in page and "set up" in page


def test_a_waiting_request_that_would_be_refused_says_why_on_the_dashboard(client):
    from payments.portal.live import pending_confirmations_state
    from tests.payments.online_helpers import face_pay_customer, online_request

    poor = face_pay_customer(balance_minor=100)
    online_request(f.merchant(name="Bean Shop"), poor, amount_minor=1299)
    client.force_login(poor)
    said = "Your wallet does not hold enough for this payment."
    assert said in client.get("/me/").content.decode()
    (live,) = pending_confirmations_state(None, user_id=poor.pk)["pending"]
    assert live["obstacle"] == said


def test_every_portal_tab_is_named_for_smilepay_and_a_finished_payment_is_not_to_confirm(
    casey, client
):
    import re

    paid = f.paid_payment(f.merchant(name="Corner Café"), casey, amount_minor=250)
    for url in ["/me/", "/me/wallet/", "/me/payments/", "/me/activity/"]:
        title = re.search(r"<title>(.*?)</title>", client.get(url).content.decode(), re.S)[1]
        assert title.strip().endswith("SmilePay"), (url, title)
    page = client.get(f"/me/payments/{paid.pk}/confirm/").content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S)[1]
    assert title.strip() == "Payment to Corner Café · SmilePay"
