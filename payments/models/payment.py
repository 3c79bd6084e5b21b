"""Payments, refunds and recognition attempts (their audit trail: accounts.AuditEvent)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


def _states_leading_to(table: dict[str, frozenset[str]], target: str) -> tuple[str, ...]:
    return tuple(state for state, moves in table.items() if target in moves)


class Payment(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", "Created"
        MATCHING = "matching", "Matching"
        AWAITING_CONFIRMATION = "awaiting_confirmation", "Awaiting confirmation"
        SUCCEEDED = "succeeded", "Succeeded"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"

    class Channel(models.TextChoices):
        KIOSK = "kiosk", _("Kiosk")
        ONLINE = "online", _("Online")

    # The payment state machine: every status change goes through
    # payments.transitions.move(), which refuses a move not listed here, and the
    # diagram in docs/payments.md is checked against this table by a test.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.CREATED: frozenset(
            {Status.MATCHING, Status.DECLINED, Status.EXPIRED, Status.CANCELED}
        ),
        Status.MATCHING: frozenset(
            {
                Status.AWAITING_CONFIRMATION,
                Status.FAILED,
                Status.DECLINED,
                Status.EXPIRED,
                Status.CANCELED,
            }
        ),
        Status.AWAITING_CONFIRMATION: frozenset(
            {Status.SUCCEEDED, Status.DECLINED, Status.EXPIRED, Status.CANCELED}
        ),
        Status.FAILED: frozenset(
            {Status.MATCHING, Status.DECLINED, Status.EXPIRED, Status.CANCELED}
        ),
        Status.SUCCEEDED: frozenset({Status.PARTIALLY_REFUNDED, Status.REFUNDED}),
        Status.PARTIALLY_REFUNDED: frozenset({Status.PARTIALLY_REFUNDED, Status.REFUNDED}),
        Status.DECLINED: frozenset(),
        Status.EXPIRED: frozenset(),
        Status.CANCELED: frozenset(),
        Status.REFUNDED: frozenset(),
    }
    # A failed payment with this reason has used its last recognition try: nothing the
    # customer does can change its outcome any more (webhook payment.failed says so).
    EXHAUSTED_REASON = "too_many_attempts"

    # States from which a payment can still expire or be canceled (a hold may be released).
    OPEN_STATUSES = _states_leading_to(TRANSITIONS, Status.EXPIRED)
    CAPTURED_STATUSES = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.PROTECT, related_name="payments"
    )
    kiosk = models.ForeignKey(
        "merchants.Kiosk", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.KIOSK)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.CREATED)
    reason = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=200, blank=True)
    return_url = models.URLField(max_length=500, blank=True)
    # The Idempotency-Key of the API request that created it (blank otherwise).
    idempotency_key = models.CharField(max_length=255, blank=True)
    # What that request asked for (payments.api.idempotency.fingerprint): a key reused for
    # another request, after its record was pruned, is refused rather than answered with this.
    request_fingerprint = models.CharField(max_length=64, blank=True)
    held_minor = models.BigIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)
    match_attempts = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()
    matched_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="payment_merchant_created"),
            models.Index(fields=["status", "expires_at"], name="payment_status_expiry"),
            models.Index(fields=["customer", "-created_at"], name="payment_customer_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(held_minor__gte=0), name="payment_held_nonnegative"),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0) & Q(refunded_minor__lte=F("amount_minor")),
                name="payment_refunds_within_amount",
            ),
            models.UniqueConstraint(
                fields=["merchant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="payment_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} {self.amount_minor} {self.currency} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @classmethod
    def outcome_is_final(cls, status: str, reason: str) -> bool:
        """No answer, retry or try can change the outcome any more (refunds aside).

        For code that holds only the status and reason (the demo shop's webhook copy)."""
        if status not in cls.OPEN_STATUSES:
            return True
        return status == cls.Status.FAILED and reason == cls.EXHAUSTED_REASON

    @property
    def is_final(self) -> bool:
        """The outcome is decided: the customer goes back to the shop.

        A failed payment that used its last try is final although still open (the
        expiry sweep may still close it)."""
        return self.outcome_is_final(self.status, self.reason)

    @property
    def awaits_expiry(self) -> bool:
        """Open and undecided: the expiry closes it when its time is up. A payment whose
        last try failed is decided (`payment.failed` told the merchant no retry is left)
        and keeps that outcome instead of turning into `expired` later."""
        return self.is_open and not self.is_final

    @classmethod
    def awaiting_expiry_q(cls) -> Q:
        """`awaits_expiry` as a filter, for the sweep and the reads."""
        exhausted = Q(status=cls.Status.FAILED, reason=cls.EXHAUSTED_REASON)
        return Q(status__in=cls.OPEN_STATUSES) & ~exhausted

    @property
    def is_retryable(self) -> bool:
        """Another recognition try may start (created or failed, tries not used up by reason)."""
        return self.Status.MATCHING in self.TRANSITIONS[self.status] and not self.is_final

    @property
    def waits_for_the_customer(self) -> bool:
        """The customer can answer it now: approve a kiosk payment, or confirm (or try
        again) an online request."""
        if self.status == self.Status.AWAITING_CONFIRMATION:
            return True
        return self.channel == self.Channel.ONLINE and self.awaits_expiry

    @property
    def refundable_minor(self) -> int:
        if self.status not in (self.Status.SUCCEEDED, self.Status.PARTIALLY_REFUNDED):
            return 0
        return self.amount_minor - self.refunded_minor


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The API's Idempotency-Key (or the merchant form's one-time token): the database
    # refuses a second refund under the same key, whatever happened to the API's record.
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["payment", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="refund_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.pk} of payment {self.payment_id}: {self.amount_minor}"


class RecognitionAttempt(models.Model):
    """What the recognition said, for audit and the customer's "where my face was used".

    Never images or encodings: only outcomes, distances and timings.
    """

    class Outcome(models.TextChoices):
        MATCHED = "matched", "Matched"
        NO_FACE = "no_face", "No face"
        MULTIPLE_FACES = "multiple_faces", "More than one face"
        POOR_QUALITY = "poor_quality", "Poor quality"
        NOT_LIVE = "not_live", "Not live"
        # A photo or a screen held up to the camera (smilepay.faces.spoof_check).
        PRESENTATION_ATTACK = "presentation_attack", "Presentation attack"
        NO_MATCH = "no_match", "No match"
        AMBIGUOUS = "ambiguous", "Ambiguous"
        RATE_LIMITED = "rate_limited", "Rate limited"
        ERROR = "error", "Error"

    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, null=True, blank=True, related_name="attempts"
    )
    kiosk = models.ForeignKey(
        "merchants.Kiosk",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recognition_attempts",
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recognition_attempts",
    )
    # Customers who came close (within the threshold or just outside it), so each of
    # them can see the attempt on their activity page.
    near_customers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="near_recognition_attempts"
    )
    outcome = models.CharField(max_length=24)
    best_distance = models.FloatField(null=True, blank=True)
    margin = models.FloatField(null=True, blank=True)
    liveness_score = models.FloatField(null=True, blank=True)
    # Presentation-attack detection's score, 0..1 (higher = live); null when not scored.
    pad_score = models.FloatField(null=True, blank=True)
    timings_ms = models.JSONField(default=dict, blank=True)
    phone_digits_used = models.BooleanField(default=False)
    # How many customers the search covered (or would have, when it was too wide to run
    # without phone digits): the chance of a false match grows with it
    # (kiosk/search_policy.py). Null when recognition stopped before the search.
    searched_identities = models.PositiveIntegerField(null=True, blank=True)
    # "This wasn't me", per customer: the matched one and each look-alike speak for
    # themselves, and one's report never stands for another's.
    flagged_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="flagged_recognition_attempts"
    )
    flagged_by_customer_at = models.DateTimeField(null=True, blank=True)  # the first report
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"attempt {self.pk}: {self.outcome}"
