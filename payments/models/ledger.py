"""Double-entry ledger: accounts with cached balances, transactions, and their entries.

Every transaction's entries sum to zero, so the sum of all balances is always zero: the
funding account goes negative by exactly what operators have topped up. A customer's
spendable money is `balance_minor - held_minor`; the database refuses any row where
that would go below zero, so even a bug in the services cannot overdraw a wallet.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer wallet"
        MERCHANT = "merchant", "Merchant balance"
        FUNDING = "funding", "Operator funding (top-ups)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    currency = models.CharField(max_length=3)
    balance_minor = models.BigIntegerField(default=0)
    # Money promised to payments awaiting the customer's confirmation.
    held_minor = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(held_minor__gte=0), name="ledger_held_nonnegative"),
            models.CheckConstraint(
                condition=~Q(kind="customer") | Q(balance_minor__gte=0),
                name="ledger_customer_balance_nonnegative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="customer") | Q(balance_minor__gte=F("held_minor")),
                name="ledger_customer_holds_covered",
            ),
            models.CheckConstraint(
                condition=(Q(kind="customer") & Q(user__isnull=False) & Q(merchant__isnull=True))
                | (Q(kind="merchant") & Q(merchant__isnull=False) & Q(user__isnull=True))
                | (Q(kind="funding") & Q(user__isnull=True) & Q(merchant__isnull=True)),
                name="ledger_account_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["user", "currency"],
                condition=Q(kind="customer"),
                name="ledger_one_wallet_per_currency",
            ),
            models.UniqueConstraint(
                fields=["merchant", "currency"],
                condition=Q(kind="merchant"),
                name="ledger_one_merchant_account_per_currency",
            ),
            models.UniqueConstraint(
                fields=["currency"],
                condition=Q(kind="funding"),
                name="ledger_one_funding_account_per_currency",
            ),
        ]

    def __str__(self) -> str:
        owner = self.user_id or self.merchant_id or "-"
        return f"{self.kind}:{owner} {self.balance_minor} {self.currency}"

    @property
    def available_minor(self) -> int:
        return self.balance_minor - self.held_minor


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        TOPUP = "topup", "Top-up"
        CAPTURE = "capture", "Payment capture"
        REFUND = "refund", "Refund"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
    )
    refund = models.OneToOneField(
        "payments.Refund",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transaction",
    )
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A payment is captured at most once, whatever a retry or a race does.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="capture"),
                name="ledger_one_capture_per_payment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    # Signed: positive credits the account, negative debits it.
    amount_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_entry_nonzero")
        ]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount_minor:+d}"
