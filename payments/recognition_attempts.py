"""The log of recognition tries (numbers only), and the customer's "this wasn't me"."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit
from accounts.selectors import PAUSED_FOR_FLAGGED_ATTEMPT
from accounts.services import face_pay_pause
from payments.models import RecognitionAttempt


def recognition_attempt_record(
    *,
    payment_id: int | None,
    kiosk_id: int | None,
    outcome: str,
    customer_id: int | None = None,
    best_distance: float | None = None,
    margin: float | None = None,
    liveness_score: float | None = None,
    pad_score: float | None = None,
    timings_ms: dict[str, float] | None = None,
    phone_digits_used: bool = False,
    near_customer_ids: list[int] | None = None,
    searched_identities: int | None = None,
) -> RecognitionAttempt:
    """Log one recognition try: outcome and numbers only, never images or encodings."""
    with transaction.atomic():
        attempt = RecognitionAttempt.objects.create(
            payment_id=payment_id,
            kiosk_id=kiosk_id,
            customer_id=customer_id,
            outcome=outcome[:24],
            best_distance=best_distance,
            margin=margin,
            liveness_score=liveness_score,
            pad_score=pad_score,
            timings_ms={k: float(v) for k, v in (timings_ms or {}).items()},
            phone_digits_used=phone_digits_used,
            searched_identities=searched_identities,
        )
        near = set(near_customer_ids or [])
        if customer_id:
            near.add(customer_id)
        if near:
            attempt.near_customers.set(near)
        if payment_id is not None:
            audit(
                "recognition.attempted",
                payment_id=payment_id,
                data={"attempt_id": attempt.pk, "outcome": attempt.outcome},
            )
    return attempt


def recognition_attempt_flag(*, attempt_id: int, customer_id: int) -> RecognitionAttempt:
    """The customer says "this wasn't me": flag the attempt and pause their face pay."""
    with transaction.atomic():
        attempt = RecognitionAttempt.objects.select_for_update().get(pk=attempt_id)
        related = (
            attempt.customer_id == customer_id
            or attempt.near_customers.filter(pk=customer_id).exists()
        )
        if not related:
            raise RecognitionAttempt.DoesNotExist
        if attempt.flagged_by.filter(pk=customer_id).exists():
            return attempt
        attempt.flagged_by.add(customer_id)
        if attempt.flagged_by_customer_at is None:
            attempt.flagged_by_customer_at = timezone.now()
            attempt.save(update_fields=["flagged_by_customer_at"])
        audit(
            "recognition.flagged_by_customer",
            payment_id=attempt.payment_id,
            data={"attempt_id": attempt.pk, "customer_id": customer_id},
        )
        # In the same transaction: the flag and the pause stand or fall together.
        face_pay_pause(user_id=customer_id, reason=f"{PAUSED_FOR_FLAGGED_ATTEMPT} {attempt.pk}")
    return attempt
