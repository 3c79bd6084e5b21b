"""A payment is refunded at most once over, however many refunds race (PostgreSQL)."""

import pytest

from payments import services
from payments.errors import PaymentError
from payments.models import LedgerAccount, Payment, Refund
from tests.concurrency import run_concurrently, without_row_locks
from tests.payments import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
N = 8


def race_full_refunds(cafe, casey) -> tuple[Payment, list, list]:
    payment = f.paid_payment(cafe, casey, amount_minor=500)
    refunds, errors = run_concurrently(
        N,
        lambda i: services.payment_refund(payment_id=payment.pk),
        hold_before_writing=Refund,
    )
    return payment, refunds, errors


def wallet_of(casey) -> int:
    return LedgerAccount.objects.get(kind="customer", user=casey).balance_minor


def test_concurrent_full_refunds_of_one_payment_give_the_money_back_once(on_postgres):
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment, refunds, errors = race_full_refunds(cafe, casey)
    assert len([refund for refund in refunds if refund is not None]) == 1
    assert len(errors) == N - 1
    assert all(isinstance(e, PaymentError) and e.code == "not_refundable" for e in errors)
    assert Refund.objects.filter(payment=payment).count() == 1
    assert wallet_of(casey) == 1000
    assert f.ledger_total() == 0


def test_without_the_payment_lock_one_payment_is_refunded_many_times(on_postgres, monkeypatch):
    """The control: the lock on the payment row is what keeps refunds within the amount."""
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    without_row_locks(monkeypatch, Payment)
    payment, _refunds, errors = race_full_refunds(cafe, casey)
    assert errors == []
    assert Refund.objects.filter(payment=payment).count() == N
    assert wallet_of(casey) == 1000 - 500 + N * 500
