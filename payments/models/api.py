"""The merchant API's idempotency store (its keys are merchants.ApiKey)."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """One row per (merchant, Idempotency-Key): the request's fingerprint and its answer.

    The unique constraint is the lock: whoever inserts the row first runs the request;
    everyone else reads the row.
    """

    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"

    @property
    def in_flight(self) -> bool:
        return self.completed_at is None
