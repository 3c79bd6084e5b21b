"""A provider's answer moves the money once, however many times it arrives at once."""

import pytest

from payments import services
from payments.funding import ChargeOutcome
from payments.models import LedgerAccount, LedgerTransaction, WalletFunding
from tests.concurrency import run_concurrently, without_row_locks
from tests.payments import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
N = 8


def race_completions() -> tuple[LedgerAccount, WalletFunding]:
    dana = f.customer(balance_minor=1)  # the wallet exists before the race
    funding = WalletFunding.objects.create(
        user=dana, provider="demo", amount_minor=700, currency="USD", form_token="once"
    )
    _results, errors = run_concurrently(
        N,
        lambda i: services.wallet_funding_complete(
            funding_id=funding.pk, outcome=ChargeOutcome(succeeded=True, reference=f"r{i}")
        ),
        hold_before_writing=(WalletFunding, LedgerTransaction),
    )
    assert errors == []
    return LedgerAccount.objects.get(kind="customer", user=dana), funding


def test_concurrent_completions_of_one_funding_add_the_money_once(on_postgres):
    wallet, funding = race_completions()
    assert wallet.balance_minor == 1 + 700
    assert (
        LedgerTransaction.objects.filter(memo__startswith=f"wallet funding {funding.pk} ").count()
        == 1
    )


def test_without_the_funding_lock_the_money_is_added_many_times(on_postgres, monkeypatch):
    """The control: the lock on the funding row is what makes its completion one-time."""
    without_row_locks(monkeypatch, WalletFunding)
    wallet, _funding = race_completions()
    assert wallet.balance_minor == 1 + N * 700
