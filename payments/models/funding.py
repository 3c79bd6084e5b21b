"""Money a customer adds to their own wallet through a funding provider (demo money today)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class WalletFunding(models.Model):
    """One "add money" request: recorded before the provider is asked, completed after.

    `form_token` is the one-time token of the form that asked: a second click of the same
    form finds this row instead of adding the money twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet_fundings"
    )
    provider = models.CharField(max_length=32)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    form_token = models.CharField(max_length=64)
    provider_reference = models.CharField(max_length=128, blank=True)
    failure_message = models.CharField(max_length=200, blank=True)
    ledger_transaction = models.OneToOneField(
        "payments.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallet_funding",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "form_token"], name="wallet_funding_one_per_form"
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="wallet_funding_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"funding {self.pk}: {self.amount_minor} {self.currency} ({self.status})"
