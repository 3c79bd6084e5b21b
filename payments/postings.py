"""Double-entry postings. Call these only inside a services transaction.

Accounts are locked in primary-key order so two transactions touching the same pair
of accounts can never deadlock each other.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction


class InsufficientFunds(Exception):
    pass


def _get_or_create(*, kind: str, currency: str, user_id=None, merchant_id=None) -> LedgerAccount:
    lookup = {"kind": kind, "currency": currency, "user_id": user_id, "merchant_id": merchant_id}
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        # A savepoint, so losing the creation race leaves the outer transaction usable.
        with transaction.atomic():
            return LedgerAccount.objects.create(**lookup)
    except IntegrityError:
        return LedgerAccount.objects.get(**lookup)


def wallet_for(*, user_id: int, currency: str) -> LedgerAccount:
    return _get_or_create(kind=LedgerAccount.Kind.CUSTOMER, currency=currency, user_id=user_id)


def merchant_account_for(*, merchant_id: int, currency: str) -> LedgerAccount:
    return _get_or_create(
        kind=LedgerAccount.Kind.MERCHANT, currency=currency, merchant_id=merchant_id
    )


def funding_account_for(*, currency: str) -> LedgerAccount:
    return _get_or_create(kind=LedgerAccount.Kind.FUNDING, currency=currency)


def lock_accounts(*accounts: LedgerAccount) -> dict[int, LedgerAccount]:
    """Re-read the accounts under a row lock, in pk order; returns them by pk."""
    ids = sorted({account.pk for account in accounts})
    rows = LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {row.pk: row for row in rows}


def place_hold(account: LedgerAccount, amount_minor: int) -> None:
    """Reserve money on a locked wallet; raise InsufficientFunds if it is not there."""
    if account.available_minor < amount_minor:
        raise InsufficientFunds
    account.held_minor += amount_minor
    account.save(update_fields=["held_minor", "updated_at"])


def release_hold(account: LedgerAccount, amount_minor: int) -> None:
    account.held_minor -= amount_minor
    account.save(update_fields=["held_minor", "updated_at"])


def post(
    *,
    kind: str,
    lines: list[tuple[LedgerAccount, int]],
    payment_id: int | None = None,
    refund_id: int | None = None,
    memo: str = "",
    release_held: dict[int, int] | None = None,
) -> LedgerTransaction:
    """Record one balanced transaction on already locked accounts and update their balances.

    `release_held` maps account pk -> an amount of that account's hold that this
    transaction consumes (a captured payment spends its own hold).
    """
    if sum(amount for _, amount in lines) != 0:
        raise ValueError("a ledger transaction must sum to zero")
    if len({account.currency for account, _ in lines}) != 1:
        raise ValueError("a ledger transaction has one currency")
    release_held = release_held or {}
    txn = LedgerTransaction.objects.create(
        kind=kind, payment_id=payment_id, refund_id=refund_id, memo=memo
    )
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(transaction=txn, account=account, amount_minor=amount)
            for account, amount in lines
        ]
    )
    for account, amount in lines:
        account.balance_minor += amount
        account.held_minor -= release_held.get(account.pk, 0)
        account.save(update_fields=["balance_minor", "held_minor", "updated_at"])
    return txn
