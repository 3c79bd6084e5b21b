from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from accounts.recognition import Outcome, RecognitionResult, recognize_burst
from kiosk import limits, search_policy
from kiosk.services import capture_session_claim
from payments import services as payment_services
from payments.models import Payment
from smilepay.faces import CaptureTimes, Challenge
from smilepay.frames import take_frames

logger = logging.getLogger(__name__)


@shared_task(name="kiosk.tasks.recognize", acks_late=True, ignore_result=True)
def recognize(session_id: int) -> str:
    """Analyse one uploaded burst and move its payment. Safe to run twice: the first claims."""
    session = capture_session_claim(session_id=session_id)
    if session is None:
        return "already_processed"
    frames = take_frames(session.frames_key)  # the frames leave the cache here, whatever happens
    payment = session.payment
    if payment.status != Payment.Status.MATCHING or _superseded(session):
        return "payment_moved"
    # The try this burst belongs to: if the sweep fails it meanwhile (too slow) and the
    # kiosk starts another, this late answer must not decide the new try.
    attempt_number = payment.match_attempts
    if frames is None:
        result = RecognitionResult("frames_expired")
    else:
        result = recognize_burst(
            frames=frames,
            phone_digits=session.phone_digits,
            challenge=Challenge.from_json(session.challenge) if session.challenge else None,
            times=_capture_times(session),
        )
        del frames
    if result.customer_id is not None:
        # Every attempt that showed this customer's face counts, a photo of them included.
        try:
            limits.check_customer_attempt(customer_id=result.customer_id)
        except limits.RateLimited:
            if result.outcome == Outcome.MATCHED:
                result.outcome, result.detail = "rate_limited", "customer"
    attempt = payment_services.recognition_attempt_record(
        payment_id=payment.pk,
        kiosk_id=session.kiosk_id,
        outcome=result.outcome,
        customer_id=result.customer_id,
        best_distance=result.best_distance,
        margin=result.margin,
        liveness_score=result.liveness_score,
        pad_score=result.pad_score,
        timings_ms=result.timings_ms,
        phone_digits_used=bool(session.phone_digits),
        near_customer_ids=result.near_customer_ids,
        searched_identities=result.searched,
    )
    # Outcomes and timings only: never images, encodings or who nearly matched.
    logger.info(
        "recognition %s payment=%s timings=%s", result.outcome, payment.pk, result.timings_ms
    )
    if result.outcome == Outcome.MATCHED:
        payment_services.payment_match(
            payment_id=payment.pk,
            customer_id=result.customer_id,
            attempt_id=attempt.pk,
            allow_auto_approve=search_policy.auto_approve_allowed(searched=result.searched or 0),
            attempt=attempt_number,
        )
    else:
        payment_services.payment_fail(
            payment_id=payment.pk, reason=_kiosk_reason(result), attempt=attempt_number
        )
    return result.outcome


def _superseded(session) -> bool:
    """A newer upload for the same payment exists: this one's try was given up."""
    return session.payment.capture_sessions.filter(
        used_at__gt=session.used_at, frames_key__gt=""
    ).exists()


def _capture_times(session) -> CaptureTimes | None:
    times = session.capture_times or {}
    if not times:
        return None
    return CaptureTimes(
        frame_ms=times.get("frame_ms"),
        started_at_ms=times.get("started_at_ms"),
        issued_at_ms=session.created_at.timestamp() * 1000,
        received_at_ms=times.get("received_at_ms"),
        clock_skew_ms=settings.FACE_CHALLENGE_CLOCK_SKEW_SECONDS * 1000,
    )


def _kiosk_reason(result: RecognitionResult) -> str:
    """What the kiosk may be told: a customer who paused face pay looks "not recognised"."""
    if result.outcome == Outcome.UNAVAILABLE:
        return Outcome.NO_MATCH
    return result.outcome
