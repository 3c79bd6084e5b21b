from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from merchants.services import kiosk_revoke
from payments import selectors, services
from payments.errors import InvalidRequest, NotYourPayment, PaymentError
from payments.models import LedgerAccount, LedgerTransaction, Payment
from payments.selectors import payment_events
from payments.signals import payment_status_changed
from tests.payments import factories as f

pytestmark = pytest.mark.django_db
S = Payment.Status


def wallet(user) -> LedgerAccount:
    return LedgerAccount.objects.get(kind="customer", user=user)


def event_names(payment) -> list[str]:
    return list(payment_events(payment_id=payment.pk).values_list("name", flat=True))


def test_a_kiosk_payment_goes_from_created_to_succeeded_and_moves_the_money():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.kiosk_payment(cafe, amount_minor=350)
    assert payment.status == S.CREATED
    assert services.payment_start_matching(payment_id=payment.pk).status == S.MATCHING
    payment = services.payment_match(payment_id=payment.pk, customer_id=casey.pk)
    assert payment.status == S.AWAITING_CONFIRMATION
    assert (wallet(casey).balance_minor, wallet(casey).held_minor) == (1000, 350)
    payment = services.payment_approve(payment_id=payment.pk, customer_id=casey.pk)
    assert payment.status == S.SUCCEEDED
    assert (wallet(casey).balance_minor, wallet(casey).held_minor) == (650, 0)
    assert selectors.merchant_balance(merchant_id=cafe.pk)[0].balance_minor == 350
    assert event_names(payment) == [
        "payment.created",
        "payment.matching",
        "payment.awaiting_confirmation",
        "payment.succeeded",
    ]


def test_a_double_approval_is_a_no_op():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.matched_payment(cafe, casey, amount_minor=400)
    first = services.payment_approve(payment_id=payment.pk, customer_id=casey.pk)
    second = services.payment_approve(payment_id=payment.pk, customer_id=casey.pk)
    assert first.status == second.status == S.SUCCEEDED
    assert LedgerTransaction.objects.filter(payment=payment, kind="capture").count() == 1
    assert wallet(casey).balance_minor == 600
    assert event_names(payment).count("payment.succeeded") == 1


def test_the_database_refuses_a_second_capture_of_one_payment():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.paid_payment(cafe, casey)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.create(kind="capture", payment=payment)


def test_only_the_matched_customer_can_approve_or_decline():
    cafe, casey, mallory = f.merchant(), f.customer(balance_minor=1000), f.customer()
    payment = f.matched_payment(cafe, casey)
    with pytest.raises(NotYourPayment):
        services.payment_approve(payment_id=payment.pk, customer_id=mallory.pk)
    with pytest.raises(NotYourPayment):
        services.payment_decline(payment_id=payment.pk, customer_id=mallory.pk)
    assert Payment.objects.get(pk=payment.pk).status == S.AWAITING_CONFIRMATION


def test_declining_releases_the_hold_and_moves_no_money():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.matched_payment(cafe, casey, amount_minor=700)
    payment = services.payment_decline(payment_id=payment.pk, customer_id=casey.pk)
    assert (payment.status, payment.reason) == (S.DECLINED, "customer_declined")
    assert (wallet(casey).balance_minor, wallet(casey).held_minor) == (1000, 0)
    assert (
        services.payment_approve(payment_id=payment.pk, customer_id=casey.pk).status == S.DECLINED
    )


def test_a_hold_stops_two_pending_payments_spending_the_same_balance():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    first = f.matched_payment(cafe, casey, amount_minor=800)
    second = f.matched_payment(cafe, casey, amount_minor=800)
    assert first.status == S.AWAITING_CONFIRMATION
    assert (second.status, second.reason) == (S.DECLINED, "insufficient_funds")
    assert wallet(casey).held_minor == 800


def test_a_customer_without_enough_money_is_declined_for_insufficient_funds():
    cafe, casey = f.merchant(), f.customer(balance_minor=100)
    payment = f.matched_payment(cafe, casey, amount_minor=101)
    assert (payment.status, payment.reason, payment.customer_id) == (
        S.DECLINED,
        "insufficient_funds",
        casey.pk,
    )


def test_the_database_check_refuses_a_negative_wallet_even_past_the_services():
    casey = f.customer(balance_minor=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=wallet(casey).pk).update(balance_minor=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=wallet(casey).pk).update(held_minor=101)


def test_a_failed_recognition_can_be_retried_within_the_limit(settings):
    settings.PAYMENT_MAX_MATCH_ATTEMPTS = 2
    cafe = f.merchant()
    payment = f.kiosk_payment(cafe)
    for _ in range(2):
        services.payment_start_matching(payment_id=payment.pk)
        payment = services.payment_fail(payment_id=payment.pk, reason="no_match")
        assert (payment.status, payment.reason) == (S.FAILED, "no_match")
    with pytest.raises(PaymentError) as excinfo:
        services.payment_start_matching(payment_id=payment.pk)
    assert excinfo.value.code == "too_many_attempts"


def test_the_expiry_sweep_expires_overdue_payments_and_releases_holds():
    from payments.tasks import expire_due_payments

    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    matched = f.matched_payment(cafe, casey, amount_minor=300)
    fresh = f.kiosk_payment(cafe)
    Payment.objects.filter(pk=matched.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_due_payments() == 1
    matched.refresh_from_db()
    assert (matched.status, matched.reason) == (S.EXPIRED, "timeout")
    assert Payment.objects.get(pk=fresh.pk).status == S.CREATED
    assert wallet(casey).held_minor == 0
    assert services.payment_approve(payment_id=matched.pk, customer_id=casey.pk).status == S.EXPIRED


def _overdue_matched_payment(cafe, casey) -> Payment:
    payment = f.matched_payment(cafe, casey, amount_minor=300)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return payment


def test_reading_an_overdue_payment_reports_it_expired_and_writes_nothing():
    from payments.tasks import expire_due_payments

    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = _overdue_matched_payment(cafe, casey)
    events_before = event_names(payment)

    read = selectors.payment_get(payment_id=payment.pk, merchant_id=cafe.pk)
    mine = selectors.payment_for_customer(payment_id=payment.pk, customer_id=casey.pk)

    assert (read.status, read.reason) == (S.EXPIRED, "timeout")
    assert read.decided_at == read.expires_at and mine.status == S.EXPIRED
    assert Payment.objects.get(pk=payment.pk).status == S.AWAITING_CONFIRMATION
    assert wallet(casey).held_minor == 300
    assert event_names(payment) == events_before
    # The sweep writes it down: hold released, expiry audited.
    assert expire_due_payments() == 1
    assert wallet(casey).held_minor == 0
    assert "payment.expired" in event_names(payment)


def test_payment_lists_report_overdue_payments_expired_without_writing():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    overdue = _overdue_matched_payment(cafe, casey)
    waiting = f.matched_payment(cafe, casey, amount_minor=200)

    def ids(status=None):
        return [p.pk for p in selectors.merchant_payments(merchant_id=cafe.pk, status=status)]

    assert ids(S.EXPIRED) == [overdue.pk]
    assert ids(S.AWAITING_CONFIRMATION) == [waiting.pk]
    shown = {p.pk: p.status for p in selectors.customer_payments(customer_id=casey.pk)}
    assert shown == {overdue.pk: S.EXPIRED, waiting.pk: S.AWAITING_CONFIRMATION}
    listed = selectors.merchant_payments(merchant_id=cafe.pk).filter(pk=overdue.pk)[0]
    assert listed.status == S.EXPIRED
    pending = selectors.customer_pending_confirmations(customer_id=casey.pk)
    assert [p.pk for p in pending] == [waiting.pk]
    assert Payment.objects.get(pk=overdue.pk).status == S.AWAITING_CONFIRMATION


def test_cancelling_an_overdue_payment_expires_it_instead():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = _overdue_matched_payment(cafe, casey)
    assert services.payment_cancel(payment_id=payment.pk).status == S.EXPIRED
    assert wallet(casey).held_minor == 0


def test_approving_after_the_deadline_expires_instead_of_capturing():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.matched_payment(cafe, casey, amount_minor=300)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.payment_approve(payment_id=payment.pk, customer_id=casey.pk).status == S.EXPIRED
    assert wallet(casey).balance_minor == 1000


def test_cancel_releases_the_hold_and_does_not_touch_a_captured_payment():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    pending = f.matched_payment(cafe, casey, amount_minor=300)
    assert services.payment_cancel(payment_id=pending.pk).status == S.CANCELED
    assert wallet(casey).held_minor == 0
    paid = f.paid_payment(cafe, casey, amount_minor=200)
    assert services.payment_cancel(payment_id=paid.pk).status == S.SUCCEEDED


def test_a_full_refund_gives_all_the_money_back():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.paid_payment(cafe, casey, amount_minor=400)
    refund = services.payment_refund(payment_id=payment.pk)
    payment.refresh_from_db()
    assert refund.amount_minor == 400
    assert (payment.status, payment.refunded_minor) == (S.REFUNDED, 400)
    assert wallet(casey).balance_minor == 1000
    assert selectors.merchant_balance(merchant_id=cafe.pk)[0].balance_minor == 0


def test_partial_refunds_add_up_and_never_exceed_the_payment():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.paid_payment(cafe, casey, amount_minor=400)
    services.payment_refund(payment_id=payment.pk, amount_minor=150)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_minor) == (S.PARTIALLY_REFUNDED, 150)
    with pytest.raises(InvalidRequest) as excinfo:
        services.payment_refund(payment_id=payment.pk, amount_minor=251)
    assert excinfo.value.code == "amount_exceeds_refundable"
    services.payment_refund(payment_id=payment.pk, amount_minor=250)
    payment.refresh_from_db()
    assert payment.status == S.REFUNDED
    with pytest.raises(PaymentError):
        services.payment_refund(payment_id=payment.pk, amount_minor=1)
    assert wallet(casey).balance_minor == 1000


def test_a_refund_form_clicked_twice_refunds_once():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.paid_payment(cafe, casey, amount_minor=400)
    services.payment_refund(payment_id=payment.pk, amount_minor=100, expected_refunded_minor=0)
    with pytest.raises(PaymentError) as excinfo:
        services.payment_refund(payment_id=payment.pk, amount_minor=100, expected_refunded_minor=0)
    assert excinfo.value.code == "stale_request"


def test_an_unconfirmed_payment_cannot_be_refunded():
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.matched_payment(cafe, casey)
    with pytest.raises(PaymentError):
        services.payment_refund(payment_id=payment.pk)


def test_the_ledger_always_sums_to_zero():
    cafe, casey, robin = f.merchant(), f.customer(balance_minor=5000), f.customer(balance_minor=70)
    paid = f.paid_payment(cafe, casey, amount_minor=1234)
    services.payment_refund(payment_id=paid.pk, amount_minor=34)
    f.matched_payment(cafe, robin, amount_minor=100)  # declined: not enough
    f.matched_payment(cafe, casey, amount_minor=99)  # held, never captured
    assert f.ledger_total() == 0
    for account in LedgerAccount.objects.all():
        assert account.balance_minor == sum(account.entries.values_list("amount_minor", flat=True))
    assert sum(LedgerAccount.objects.values_list("balance_minor", flat=True)) == 0


def test_the_status_signal_is_sent_only_after_commit(django_capture_on_commit_callbacks):
    cafe = f.merchant()
    seen = []

    def listener(sender, **kwargs):
        seen.append(kwargs["status"])

    payment_status_changed.connect(listener)
    try:
        payment = f.kiosk_payment(cafe)
        with django_capture_on_commit_callbacks(execute=True):
            services.payment_start_matching(payment_id=payment.pk)
            assert seen == []
        assert seen == [S.MATCHING]
    finally:
        payment_status_changed.disconnect(listener)


def customer_limits_are(monkeypatch, *, per_payment=None, daily=None, auto_below=0) -> None:
    """Every customer's limits, as accounts would answer them."""
    from accounts.selectors import CustomerLimits
    from payments import transitions

    limits = CustomerLimits(
        per_payment_limit_minor=per_payment,
        daily_limit_minor=daily,
        auto_approve_below_minor=auto_below,
        always_require_phone_digits=False,
    )
    monkeypatch.setattr(transitions, "customer_limits", lambda *, user_id: limits)


def test_limits_from_accounts_decline_and_auto_approve(monkeypatch):
    customer_limits_are(monkeypatch, per_payment=500, auto_below=200)
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    big = f.matched_payment(cafe, casey, amount_minor=501)
    assert (big.status, big.reason) == (S.DECLINED, "over_payment_limit")
    small = f.matched_payment(cafe, casey, amount_minor=150)
    assert (small.status, small.reason) == (S.SUCCEEDED, "auto_approved")
    assert wallet(casey).balance_minor == 850


@pytest.mark.parametrize(
    ("per_payment", "daily", "reason"),
    [(0, None, "over_payment_limit"), (None, 0, "over_daily_limit")],
)
def test_a_limit_of_zero_declines_every_payment_instead_of_meaning_no_limit(
    monkeypatch, per_payment, daily, reason
):
    customer_limits_are(monkeypatch, per_payment=per_payment, daily=daily)
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.matched_payment(cafe, casey, amount_minor=1)
    assert (payment.status, payment.reason) == (S.DECLINED, reason)
    assert wallet(casey).held_minor == 0


def test_a_match_from_a_too_wide_search_waits_for_the_phone_even_below_auto_approve(
    monkeypatch,
):
    customer_limits_are(monkeypatch, auto_below=200)
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.kiosk_payment(cafe, amount_minor=150)
    services.payment_start_matching(payment_id=payment.pk)
    matched = services.payment_match(
        payment_id=payment.pk, customer_id=casey.pk, allow_auto_approve=False
    )
    assert (matched.status, matched.held_minor) == (S.AWAITING_CONFIRMATION, 150)
    names = list(payment_events(payment_id=matched.pk).values_list("name", flat=True))
    assert "payment.auto_approve_withheld" in names and "payment.captured" not in names


def test_an_online_request_is_only_for_its_customer():
    cafe, casey, mallory = f.merchant(), f.customer(balance_minor=1000), f.customer()
    payment = services.payment_create(
        merchant_id=cafe.pk, amount_minor=100, currency="USD", customer_id=casey.pk
    )
    assert payment.channel == Payment.Channel.ONLINE
    services.payment_start_matching(payment_id=payment.pk)
    with pytest.raises(NotYourPayment):
        services.payment_match(payment_id=payment.pk, customer_id=mallory.pk)
    payment = services.payment_match(payment_id=payment.pk, customer_id=casey.pk)
    assert payment.status == S.AWAITING_CONFIRMATION


def test_a_revoked_kiosk_cannot_take_payments_and_its_open_ones_are_canceled(
    django_capture_on_commit_callbacks,
):
    cafe = f.merchant()
    counter = f.kiosk(cafe)
    open_payment = f.kiosk_payment(cafe, kiosk_=counter)
    # merchants revokes; payments hears merchants.signals.kiosk_revoked in the same transaction.
    with django_capture_on_commit_callbacks(execute=True):
        kiosk_revoke(kiosk_id=counter.pk, merchant_id=cafe.pk)
    assert Payment.objects.get(pk=open_payment.pk).status == S.CANCELED
    with pytest.raises(PaymentError) as excinfo:
        f.kiosk_payment(cafe, kiosk_=counter)
    assert excinfo.value.code == "kiosk_revoked"


def test_pairing_a_kiosk_again_cancels_the_payments_its_earlier_device_left_open(
    django_capture_on_commit_callbacks,
):
    """The new device starts at a new payment, not at its predecessor's last screen."""
    from merchants.services import kiosk_issue_pairing_code, kiosk_pair

    cafe = f.merchant()
    counter = f.kiosk(cafe)
    left_open = f.kiosk_payment(cafe, kiosk_=counter)
    code = kiosk_issue_pairing_code(kiosk_id=counter.pk)
    with django_capture_on_commit_callbacks(execute=True):
        kiosk_pair(code=code)
    left_open.refresh_from_db()
    assert (left_open.status, left_open.reason) == (S.CANCELED, "kiosk_paired_again")
    assert f.kiosk_payment(cafe, kiosk_=counter).status == S.CREATED  # the kiosk works


def test_a_topup_command_credits_the_wallet(capsys):
    from django.core.management import call_command

    casey = f.customer(email="topup@example.com")
    call_command("topup_wallet", "topup@example.com", "2500")
    assert wallet(casey).balance_minor == 2500
    assert f.ledger_total() == 0


def test_an_operator_tops_up_wallets_from_the_django_admin(admin_client):
    casey = f.customer()
    response = admin_client.post(
        "/admin/accounts/user/",
        {
            "action": "top_up_wallets",
            "_selected_action": [casey.pk],
            "apply": "1",
            "amount_minor": "1500",
            "currency": "USD",
        },
    )
    assert response.status_code == 302
    assert wallet(casey).balance_minor == 1500


def test_the_admin_top_up_offers_only_currencies_someone_can_be_paid_in(admin_client):
    casey = f.customer()
    form = {"action": "top_up_wallets", "_selected_action": [casey.pk], "apply": "1"}
    refused = admin_client.post("/admin/accounts/user/", {**form, "amount_minor": "2000",
                                                         "currency": "EUR"})  # fmt: skip
    assert refused.status_code == 200  # the form again, with its error
    assert not LedgerAccount.objects.filter(user=casey, currency="EUR").exists()
