"""Kiosk writes: opening a capture attempt, accepting its burst, recording the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kiosk import limits, search_policy
from kiosk.models import CaptureSession
from merchants.models import Kiosk
from merchants.tokens import hash_token, new_token
from payments import services as payment_services
from payments.labels import status_label
from payments.models import Payment
from smilepay.faces.challenge import new_challenge
from smilepay.frames import FrameError, capture_times, stashed_frames, validate_burst


class CaptureError(Exception):
    """A capture request the kiosk must be told about; `code` is stable for the page."""

    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class CaptureTicket:
    session_id: int
    token: str
    expires_at: str
    phone_digits_reason: str = ""  # why the digits must come with the burst; "" if they need not
    # The capture challenge the page must follow (smilepay.faces.challenge, as_json()).
    challenge: dict | None = None


def kiosk_start_payment(*, kiosk_id: int, amount_minor: int) -> Payment:
    kiosk = Kiosk.objects.select_related("merchant").get(pk=kiosk_id)
    return payment_services.payment_create(
        merchant_id=kiosk.merchant_id,
        amount_minor=amount_minor,
        currency=kiosk.merchant.currency,
        kiosk_id=kiosk_id,
    )


def capture_session_open(*, kiosk_id: int, payment_id: int) -> CaptureTicket:
    """A one-time upload token for the next attempt on this payment."""
    limits.check_kiosk_attempt(kiosk_id=kiosk_id)
    token = new_token("cap", 24)
    now = timezone.now()
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update().filter(pk=payment_id, kiosk_id=kiosk_id).first()
        )
        if payment is None:
            raise CaptureError(_("No such payment at this kiosk."), code="not_found", status=404)
        _check_can_attempt(payment)
        # A double tap opens two sessions; only the newest may be used.
        payment.capture_sessions.filter(used_at__isnull=True).update(used_at=now)
        session = CaptureSession.objects.create(
            kiosk_id=kiosk_id,
            payment=payment,
            token_hash=hash_token(token),
            expires_at=now + timedelta(seconds=settings.KIOSK_CAPTURE_TOKEN_SECONDS),
            challenge=challenge_for_ticket(),
        )
    reason = _phone_digits_reason(kiosk_id)
    return CaptureTicket(
        session.pk, token, session.expires_at.isoformat(), reason, session.challenge
    )


def challenge_for_ticket() -> dict:
    """A fresh server-chosen challenge for one capture ticket (settings FACE_CHALLENGE*)."""
    return new_challenge(
        patterns=settings.FACE_CHALLENGES, jitter_ms=settings.FACE_CHALLENGE_JITTER_MS
    ).as_json()


def _phone_digits_reason(kiosk_id: int) -> str:
    requires = Kiosk.objects.filter(pk=kiosk_id).values_list("require_phone_digits", flat=True)
    return search_policy.phone_digits_reason(kiosk_requires_digits=bool(requires.first()))


def _check_can_attempt(payment: Payment) -> None:
    if not payment.is_retryable:
        raise CaptureError(
            _("This payment is “%(status)s”.") % {"status": status_label(payment.status)},
            code="wrong_state",
            status=409,
        )
    if payment.expires_at <= timezone.now():
        raise CaptureError(_("This payment has expired."), code="expired", status=409)
    if payment.match_attempts >= settings.PAYMENT_MAX_MATCH_ATTEMPTS:
        raise CaptureError(
            _("Too many attempts for this payment: please pay another way."),
            code="attempts_exhausted",
            status=429,
        )


def capture_submit(
    *,
    kiosk_id: int,
    token: str,
    frames: list[bytes],
    phone_digits: str = "",
    frame_times: str | None = None,
    started_at: str | None = None,
) -> Payment:
    """Accept a burst for a capture token (once) and hand it to the recognition task.

    ``frame_times``: the page's JSON list of each frame's capture time (ms from the
    first prompt); ``started_at``: the device's clock then (epoch ms). The recognition
    checks them against the ticket's challenge."""
    try:
        validate_burst(frames)
    except FrameError as exc:
        raise CaptureError(str(exc), code=exc.code) from exc
    received_at_ms = timezone.now().timestamp() * 1000
    try:
        frame_ms, started_at_ms = capture_times(frame_times, started_at, count=len(frames))
    except FrameError as exc:
        raise CaptureError(str(exc), code=exc.code) from exc
    times = {
        "frame_ms": frame_ms,
        "started_at_ms": started_at_ms,
        "received_at_ms": received_at_ms,
    }
    phone_digits = (phone_digits or "").strip()
    if phone_digits and not (len(phone_digits) == 4 and phone_digits.isdigit()):
        raise CaptureError(_("Phone digits are the last 4 digits of a number."), code="bad_digits")
    if phone_digits:
        limits.check_phone_digits_attempt(phone_digits=phone_digits)
    elif reason := _phone_digits_reason(kiosk_id):
        # Refused before the token is spent: the kiosk asks for the digits and sends again.
        raise CaptureError(search_policy.DIGITS_MESSAGES[reason], code="digits_required")
    with stashed_frames(frames) as frames_key, transaction.atomic():
        session = _spend_token(kiosk_id=kiosk_id, token=token)
        payment = Payment.objects.select_for_update().get(pk=session.payment_id)
        _check_can_attempt(payment)
        payment = payment_services.payment_start_matching(payment_id=payment.pk)
        session.phone_digits = phone_digits
        session.capture_times = times
        session.frames_key = frames_key
        session.save(update_fields=["phone_digits", "capture_times", "frames_key"])
        # If the task cannot run (the broker is down), the try fails at once, retry allowed
        # (payments.recognition_queue); the committed upload is not turned into an error.
        job = {
            "session_id": session.pk,
            "kiosk_id": kiosk_id,
            "payment_id": payment.pk,
            "attempt": payment.match_attempts,
            "frames_key": frames_key,
        }
        transaction.on_commit(lambda: _enqueue_recognition(**job), robust=True)
    return payment


def _spend_token(*, kiosk_id: int, token: str) -> CaptureSession:
    session = (
        CaptureSession.objects.select_for_update()
        .filter(token_hash=hash_token(token or ""), kiosk_id=kiosk_id)
        .first()
    )
    if session is None:
        raise CaptureError(_("Unknown capture token."), code="bad_token", status=403)
    if session.used_at is not None:
        raise CaptureError(_("This capture token was already used."), code="token_used", status=409)
    if session.expires_at <= timezone.now():
        raise CaptureError(_("This capture token has expired."), code="token_expired", status=409)
    session.used_at = timezone.now()
    session.save(update_fields=["used_at"])
    return session


def _enqueue_recognition(
    *, session_id: int, kiosk_id: int, payment_id: int, attempt: int, frames_key: str
) -> None:
    from kiosk.tasks import recognize

    payment_services.recognition_enqueue(
        send=lambda: recognize.delay(session_id),
        kiosk_id=kiosk_id,
        payment_id=payment_id,
        attempt=attempt,
        frames_key=frames_key,
    )


def capture_session_claim(*, session_id: int) -> CaptureSession | None:
    """Mark a session processed; None when another run of the task got there first."""
    claimed = CaptureSession.objects.filter(pk=session_id, processed_at__isnull=True).update(
        processed_at=timezone.now()
    )
    if not claimed:
        return None
    return CaptureSession.objects.select_related("payment").get(pk=session_id)
