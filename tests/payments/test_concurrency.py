"""Money under real concurrency: PostgreSQL, real threads, one connection each."""

import pytest
from django.db.models import Sum

from payments import services
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction, Payment
from tests.concurrency import run_concurrently, without_row_locks
from tests.payments import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
S = Payment.Status
N = 50


def entries_sum(account: LedgerAccount) -> int:
    return LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount_minor"))["s"] or 0


def matched_payments(cafe, casey, count: int, amount_minor: int) -> list[int]:
    counter = f.kiosk(cafe)
    return [
        f.matched_payment(cafe, casey, amount_minor=amount_minor, kiosk_=counter).pk
        for _ in range(count)
    ]


def approve_all(ids: list[int], casey, *, hold_before_writing=()):
    return run_concurrently(
        len(ids),
        lambda i: services.payment_approve(payment_id=ids[i], customer_id=casey.pk).status,
        hold_before_writing=hold_before_writing,
    )


def test_50_concurrent_approvals_never_overdraw_and_lose_no_ledger_entry(on_postgres):
    cafe, casey = f.merchant(), f.customer(balance_minor=N * 100)
    ids = matched_payments(cafe, casey, N, 100)
    statuses, errors = approve_all(ids, casey)
    assert errors == []
    assert statuses == [S.SUCCEEDED] * N
    wallet = LedgerAccount.objects.get(kind="customer", user=casey)
    till = LedgerAccount.objects.get(kind="merchant", merchant=cafe)
    assert (wallet.balance_minor, wallet.held_minor) == (0, 0)
    assert till.balance_minor == N * 100
    assert LedgerTransaction.objects.filter(kind="capture").count() == N
    assert LedgerEntry.objects.filter(transaction__kind="capture").count() == 2 * N
    assert entries_sum(wallet) == wallet.balance_minor and entries_sum(till) == till.balance_minor
    assert f.ledger_total() == 0


def test_50_customers_racing_for_more_than_the_wallet_holds_spend_only_what_is_there(on_postgres):
    cafe, casey = f.merchant(), f.customer(balance_minor=30 * 100)
    counter = f.kiosk(cafe)
    ids = []
    for _ in range(N):
        payment = f.kiosk_payment(cafe, amount_minor=100, kiosk_=counter)
        services.payment_start_matching(payment_id=payment.pk)
        ids.append(payment.pk)

    def match_and_approve(i: int) -> str:
        services.payment_match(payment_id=ids[i], customer_id=casey.pk)
        return services.payment_approve(payment_id=ids[i], customer_id=casey.pk).status

    statuses, errors = run_concurrently(N, match_and_approve)
    assert errors == []
    assert statuses.count(S.SUCCEEDED) == 30
    assert statuses.count(S.DECLINED) == 20
    wallet = LedgerAccount.objects.get(kind="customer", user=casey)
    assert (wallet.balance_minor, wallet.held_minor) == (0, 0)
    assert entries_sum(wallet) == 0
    assert f.ledger_total() == 0


def test_50_concurrent_approvals_of_one_payment_capture_it_once(on_postgres):
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.matched_payment(cafe, casey, amount_minor=250)
    statuses, errors = approve_all([payment.pk] * N, casey)
    assert errors == []
    assert set(statuses) == {S.SUCCEEDED}
    assert LedgerTransaction.objects.filter(payment=payment, kind="capture").count() == 1
    assert LedgerAccount.objects.get(kind="customer", user=casey).balance_minor == 750


class TestTheRowLockIsWhatPreventsTheRace:
    """The same race twice, every thread held after reading the balances until all have
    read them or wait for the lock: without SELECT ... FOR UPDATE balances lose updates;
    with it, none."""

    def scenario(self, casey, cafe) -> tuple[LedgerAccount, LedgerAccount, list]:
        ids = matched_payments(cafe, casey, 20, 100)
        _statuses, errors = approve_all(ids, casey, hold_before_writing=LedgerAccount)
        wallet = LedgerAccount.objects.get(kind="customer", user=casey)
        till = LedgerAccount.objects.get(kind="merchant", merchant=cafe)
        return wallet, till, errors

    def test_without_the_lock_concurrent_approvals_lose_updates(self, on_postgres, monkeypatch):
        cafe, casey = f.merchant(), f.customer(balance_minor=2001)
        f.paid_payment(cafe, casey, amount_minor=1)  # the merchant account exists up front
        without_row_locks(monkeypatch)
        wallet, till, errors = self.scenario(casey, cafe)
        assert errors == []
        # 20 captures were written to the ledger, but the balances kept only some of them.
        assert entries_sum(wallet) == 2001 - 1 - 20 * 100
        assert wallet.balance_minor != entries_sum(wallet)
        assert till.balance_minor != entries_sum(till)

    def test_with_the_lock_the_same_race_loses_nothing(self, on_postgres):
        cafe, casey = f.merchant(), f.customer(balance_minor=2001)
        f.paid_payment(cafe, casey, amount_minor=1)
        wallet, till, errors = self.scenario(casey, cafe)
        assert errors == []
        assert wallet.balance_minor == entries_sum(wallet) == 2001 - 1 - 20 * 100
        assert till.balance_minor == entries_sum(till) == 1 + 20 * 100


def test_a_retry_while_the_first_request_is_still_running_gets_409(on_postgres, monkeypatch):
    import threading

    from payments.api import views
    from tests.payments.api_client import Api

    cafe = f.merchant()
    counter = f.kiosk(cafe)
    secret = f.api_key(cafe)
    entered, release = threading.Event(), threading.Event()
    real_create = services.payment_create

    def slow_create(**kwargs):
        entered.set()
        release.wait(timeout=30)
        return real_create(**kwargs)

    monkeypatch.setattr(views.services, "payment_create", slow_create)
    body = {"amount_minor": 100, "kiosk_id": counter.pk}
    first: dict = {}

    def first_request():
        try:
            first["response"] = Api(secret).post("payments", body, key="slow-1")
        finally:
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    assert entered.wait(timeout=30)
    retry = Api(secret).post("payments", body, key="slow-1")
    release.set()
    thread.join(timeout=30)
    assert retry.status_code == 409
    assert retry.json()["error"]["code"] == "idempotency_request_in_flight"
    assert first["response"].status_code == 201
    replay = Api(secret).post("payments", body, key="slow-1")
    assert replay.json() == first["response"].json()
    assert Payment.objects.count() == 1


def limited_customer(*, daily_limit_minor: int, auto_approve_below_minor: int = 0):
    from accounts.models import FaceProfile

    casey = f.customer(balance_minor=100_00)
    FaceProfile.objects.update_or_create(
        user=casey,
        defaults={
            "daily_limit_minor": daily_limit_minor,
            "auto_approve_below_minor": auto_approve_below_minor,
        },
    )
    return casey


def match_all_at_once(cafe, casey, *, count: int, amount_minor: int) -> list:
    counter = f.kiosk(cafe)
    ids = []
    for _ in range(count):
        payment = f.kiosk_payment(cafe, amount_minor=amount_minor, kiosk_=counter)
        services.payment_start_matching(payment_id=payment.pk)
        ids.append(payment.pk)
    results, errors = run_concurrently(
        count,
        lambda i: services.payment_match(payment_id=ids[i], customer_id=casey.pk),
        hold_before_writing=(LedgerAccount, Payment),
    )
    assert errors == []
    return [(p.status, p.reason) for p in results]


def test_ten_concurrent_matches_stay_within_the_daily_limit(on_postgres):
    cafe, casey = f.merchant(), limited_customer(daily_limit_minor=1000)
    outcomes = match_all_at_once(cafe, casey, count=10, amount_minor=500)
    assert outcomes.count((S.AWAITING_CONFIRMATION, "")) == 2
    assert outcomes.count((S.DECLINED, "over_daily_limit")) == 8
    assert LedgerAccount.objects.get(kind="customer", user=casey).held_minor == 1000


def test_without_the_wallet_lock_concurrent_matches_pass_the_daily_limit(on_postgres, monkeypatch):
    """The control: the wallet's lock is what makes each match see the others' holds."""
    cafe, casey = f.merchant(), limited_customer(daily_limit_minor=1000)
    without_row_locks(monkeypatch, LedgerAccount)
    outcomes = match_all_at_once(cafe, casey, count=10, amount_minor=500)
    assert outcomes.count((S.AWAITING_CONFIRMATION, "")) == 10


def test_ten_concurrent_auto_approvals_stay_within_the_daily_limit(on_postgres):
    cafe = f.merchant()
    casey = limited_customer(daily_limit_minor=1000, auto_approve_below_minor=1000)
    outcomes = match_all_at_once(cafe, casey, count=10, amount_minor=500)
    assert outcomes.count((S.SUCCEEDED, "auto_approved")) == 2
    assert outcomes.count((S.DECLINED, "over_daily_limit")) == 8
    wallet = LedgerAccount.objects.get(kind="customer", user=casey)
    assert (wallet.balance_minor, wallet.held_minor) == (100_00 - 1000, 0)
    assert f.ledger_total() == 0
