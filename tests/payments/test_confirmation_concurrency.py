"""Approve and decline racing on one payment: one of them wins, the money agrees with it."""

import pytest
from django.db import IntegrityError

from payments import services
from payments.models import LedgerAccount, Payment
from tests.concurrency import run_concurrently, without_row_locks
from tests.payments import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
S = Payment.Status
N = 8


def race_approve_and_decline() -> tuple[Payment, LedgerAccount, list, list]:
    cafe, casey = f.merchant(), f.customer(balance_minor=1000)
    payment = f.matched_payment(cafe, casey, amount_minor=400)
    move = (services.payment_approve, services.payment_decline)

    def answer(i: int) -> str:
        return move[i % 2](payment_id=payment.pk, customer_id=casey.pk).status

    statuses, errors = run_concurrently(N, answer, hold_before_writing=Payment)
    payment.refresh_from_db()
    return payment, LedgerAccount.objects.get(kind="customer", user=casey), statuses, errors


def test_concurrent_approvals_and_declines_settle_on_one_answer(on_postgres):
    payment, wallet, statuses, errors = race_approve_and_decline()
    assert errors == []
    assert payment.status in (S.SUCCEEDED, S.DECLINED)
    assert set(statuses) == {payment.status}
    spent = 400 if payment.status == S.SUCCEEDED else 0
    assert (wallet.balance_minor, wallet.held_minor) == (1000 - spent, 0)
    assert f.ledger_total() == 0


def test_without_the_payment_lock_every_answer_acts_on_the_hold(on_postgres, monkeypatch):
    """The control: without the lock on the payment row every answer acts on the held
    money, and all but the first crash on the database's last check (a 500 for them)."""
    without_row_locks(monkeypatch, Payment)
    _payment, _wallet, _statuses, errors = race_approve_and_decline()
    assert len(errors) == N - 1
    assert all(isinstance(e, IntegrityError) and "held_nonnegative" in str(e) for e in errors)
