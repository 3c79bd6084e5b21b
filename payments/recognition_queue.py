"""Handing a recognition try to its worker, at the kiosk and online alike.

The try has committed (the payment is `matching`, its burst waits in the cache) when the
task is sent. If it cannot be sent (the broker is unreachable) or, with eager tasks (the
embedded default), the recognition itself crashed, nobody will ever decide the try: it is
failed at once with `recognition_unavailable`, retry allowed, and its frames leave the
cache, instead of the kiosk or the phone waiting for the stuck-matching sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from payments.models import Payment, RecognitionAttempt
from payments.recognition_attempts import recognition_attempt_record
from payments.transitions import payment_fail
from smilepay.frames import take_frames

logger = logging.getLogger(__name__)

RECOGNITION_UNAVAILABLE = "recognition_unavailable"


def recognition_enqueue(
    *,
    send: Callable[[], object],
    payment_id: int,
    attempt: int,
    frames_key: str,
    kiosk_id: int | None = None,
) -> bool:
    """``send()`` enqueues the task; True when it went out (or ran, eagerly) without error.

    Called on commit of the try. A failed try is never re-sent: a message that did reach
    the broker after all finds no frames and decides nothing, as a second run would. The
    try is logged as an `error` attempt, so that the merchant's recognition figures show
    the outage, unless the crashed run had already decided it."""
    try:
        send()
    except Exception:
        # Only the exception's type and text: never the frames or anything of the face.
        logger.exception("recognition try %s of payment %s could not run", attempt, payment_id)
        take_frames(frames_key)
        undecided = _still_in_try(payment_id, attempt)
        payment_fail(payment_id=payment_id, reason=RECOGNITION_UNAVAILABLE, attempt=attempt)
        if undecided:
            recognition_attempt_record(
                payment_id=payment_id, kiosk_id=kiosk_id, outcome=RecognitionAttempt.Outcome.ERROR
            )
        return False
    return True


def _still_in_try(payment_id: int, attempt: int) -> bool:
    # Read before failing it: a crashed last online try may already have failed the
    # request for good (too_many_attempts) with the engine's own outcome logged.
    return Payment.objects.filter(
        pk=payment_id, status=Payment.Status.MATCHING, match_attempts=attempt
    ).exists()
