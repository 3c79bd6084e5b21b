"""Online checkout writes: confirm a payment request by face or password, or decline it.

A confirmation is one tried attempt of the state machine (`payment_start_matching`
counts it against PAYMENT_MAX_MATCH_ATTEMPTS), then the face check outside any
transaction (record intent, step out, record outcome), then, in one transaction,
`payment_match` (limits, hold) + `payment_approve` (capture) for the same customer, or
`payment_fail`. The last allowed failure fails with reason `too_many_attempts`, which
tells the merchant (webhook `payment.failed`) that no retry is left.

The face check is the kiosk's pipeline (`accounts.recognition`), run like the kiosk's:
the burst waits in the cache (`smilepay.frames`) for a task on the `recognition` queue
(`payments.tasks.verify_online_face`), within the same PAYMENT_MATCHING_TIMEOUT_SECONDS
budget, which the stuck-matching sweep enforces for both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import signin_limits
from accounts.audit import audit
from accounts.recognition import RecognitionResult, verify_burst
from accounts.selectors import customer_face_pay_status, load_face_templates
from merchants.return_urls import return_url_problem
from merchants.tokens import hash_token, new_token
from payments import selectors
from payments import services as payment_services
from payments.errors import NotYourPayment, PaymentError
from payments.models import Payment
from payments.services import (
    payment_approve,
    payment_decline,
    payment_expire,
    payment_fail,
    payment_match,
    payment_start_matching,
    recognition_attempt_record,
)
from smilepay.faces import CaptureTimes, Challenge
from smilepay.faces.challenge import new_challenge
from smilepay.frames import stashed_frames, take_frames

Status = Payment.Status
TOO_MANY_ATTEMPTS = Payment.EXHAUSTED_REASON
# How often the phone's request looks whether the recognition worker has decided its try.
FACE_CHECK_POLL_SECONDS = 0.2


class CheckoutError(PaymentError):
    """The confirm page shows `message`; `code` is stable for the page's script."""


@dataclass(frozen=True)
class FaceCheckTicket:
    """One started face check: whose payment, and which of its tries."""

    payment_id: int
    customer_id: int
    attempt: int


def online_payment_for(*, payment_id: int, customer_id: int) -> Payment:
    """The customer's own online payment (reported expired if overdue)."""
    try:
        payment = selectors.payment_for_customer(payment_id=payment_id, customer_id=customer_id)
    except Payment.DoesNotExist as exc:
        raise NotYourPayment("not_your_payment", _("this payment is not yours")) from exc
    if payment.channel != Payment.Channel.ONLINE:
        raise CheckoutError("not_online", _("this is not an online payment"))
    return payment


def _payment_to_act_on(*, payment_id: int, customer_id: int) -> Payment:
    """The customer's online payment for an action that writes: one that reads as expired
    (overdue) has its expiry written down first, as any transition on it would."""
    payment = online_payment_for(payment_id=payment_id, customer_id=customer_id)
    if payment.status == Status.EXPIRED:
        payment_expire(payment_id=payment_id)
    return payment


def attempts_left(payment: Payment) -> int:
    return max(0, settings.PAYMENT_MAX_MATCH_ATTEMPTS - payment.match_attempts)


def _start_attempt(
    *, payment_id: int, customer_id: int, on_started: Callable[[Payment], None] | None = None
) -> Payment:
    """Count a try (payment -> matching). ``on_started`` runs inside the same transaction
    once the try has begun, to schedule its work on commit."""
    payment = _payment_to_act_on(payment_id=payment_id, customer_id=customer_id)
    if payment.is_final or payment.status == Status.AWAITING_CONFIRMATION:
        raise CheckoutError("not_open", _("this payment is no longer waiting for you"))
    with transaction.atomic():
        # Under the lock, a matching payment is another request's try: this request must
        # not ride on it, or parallel guesses would be checked while one try is counted.
        if Payment.objects.select_for_update().get(pk=payment_id).status == Status.MATCHING:
            raise CheckoutError("busy", _("a check for this payment is already running"))
        payment = payment_start_matching(payment_id=payment_id)
        if payment.status == Status.MATCHING and on_started is not None:
            on_started(payment)
    if payment.status == Status.EXPIRED:
        raise CheckoutError("expired", _("this payment request has expired"))
    if payment.status != Status.MATCHING:
        raise CheckoutError("busy", _("a check for this payment is already running"))
    return payment


@dataclass(frozen=True)
class FaceCapture:
    """A claimed capture ticket: the challenge the page was given, and when."""

    challenge: Challenge
    issued_at_ms: float


def _capture_key(token: str) -> str:
    return f"online:capture:{hash_token(token)}"


def face_capture_open(*, payment_id: int, customer_id: int) -> dict:
    """A one-time capture ticket for the phone: a token and the server-chosen challenge
    the camera page must follow. Kept in the cache (hashed token) until it is used or
    KIOSK_CAPTURE_TOKEN_SECONDS pass; nothing is counted until a burst comes back."""
    payment = _payment_to_act_on(payment_id=payment_id, customer_id=customer_id)
    if payment.is_final or payment.status == Status.AWAITING_CONFIRMATION:
        raise CheckoutError("not_open", _("this payment is no longer waiting for you"))
    if not customer_face_pay_status(user_id=customer_id).enabled:
        raise CheckoutError("face_pay_off", _("face pay is off: confirm with your password"))
    token = new_token("ocap", 24)
    challenge = new_challenge(
        patterns=settings.FACE_CHALLENGES, jitter_ms=settings.FACE_CHALLENGE_JITTER_MS
    )
    ticket = {
        "payment_id": payment_id,
        "customer_id": customer_id,
        "challenge": challenge.as_json(),
        "issued_at_ms": timezone.now().timestamp() * 1000,
    }
    cache.set(_capture_key(token), ticket, timeout=settings.KIOSK_CAPTURE_TOKEN_SECONDS)
    return {"token": token, "challenge": ticket["challenge"]}


def face_capture_claim(*, token: str, payment_id: int, customer_id: int) -> FaceCapture:
    """Spend a capture ticket (once): the burst must follow its challenge."""
    # Another customer's payment is "not found" before anything is said about a ticket.
    online_payment_for(payment_id=payment_id, customer_id=customer_id)
    key = _capture_key(token or "")
    ticket = cache.get(key)
    # Only the request whose delete removed the entry may use it: a ticket works once.
    if not ticket or not cache.delete(key):
        raise CheckoutError("bad_token", _("this face check has expired: start it again"))
    if (ticket["payment_id"], ticket["customer_id"]) != (payment_id, customer_id):
        raise CheckoutError("bad_token", _("this face check is for another payment"))
    return FaceCapture(Challenge.from_json(ticket["challenge"]), ticket["issued_at_ms"])


def face_check_begin(
    *, payment_id: int, customer_id: int, on_started: Callable[[Payment], None] | None = None
) -> FaceCheckTicket:
    # Another customer's payment is "not found" before anything else is said about it.
    online_payment_for(payment_id=payment_id, customer_id=customer_id)
    if not customer_face_pay_status(user_id=customer_id).enabled:
        raise CheckoutError("face_pay_off", _("face pay is off: confirm with your password"))
    payment = _start_attempt(payment_id=payment_id, customer_id=customer_id, on_started=on_started)
    return FaceCheckTicket(payment_id, customer_id, payment.match_attempts)


def face_check_submit(
    *,
    payment_id: int,
    customer_id: int,
    frames: list[bytes],
    capture: FaceCapture | None = None,
    times: CaptureTimes | None = None,
) -> FaceCheckTicket:
    """Start a try and hand its burst to the recognition queue, as the kiosk does: the
    frames wait in the cache under a random key (never the database or the disk; taken
    back out if no try starts) and `payments.tasks.verify_online_face` is enqueued when
    the try's start commits. With eager Celery (the embedded default) it runs then, in
    this thread, outside the transaction."""
    burst = _burst_json(capture, times)

    def enqueue(payment: Payment) -> None:
        job = {
            "payment_id": payment_id,
            "customer_id": customer_id,
            "attempt": payment.match_attempts,
            "frames_key": frames_key,
            "burst": burst,
        }
        # If the task cannot run (the broker is down), the try fails at once, retry allowed
        # (payments.recognition_queue), and the waiting request answers on its next read.
        transaction.on_commit(lambda: _enqueue_face_check(job), robust=True)

    with stashed_frames(frames) as frames_key:
        return face_check_begin(payment_id=payment_id, customer_id=customer_id, on_started=enqueue)


def _enqueue_face_check(job: dict) -> None:
    from payments.tasks import verify_online_face

    payment_services.recognition_enqueue(
        send=lambda: verify_online_face.delay(**job),
        payment_id=job["payment_id"],
        attempt=job["attempt"],
        frames_key=job["frames_key"],
    )


def face_check_run(
    *, payment_id: int, customer_id: int, attempt: int, frames_key: str, burst: dict
) -> str:
    """The recognition task's work: the 1:1 check of one burst, recorded as its try's
    outcome. Safe to run twice: only the run that takes the frames out of the cache
    decides (a second run, or one whose frames expired, finds none and does nothing; a
    try nobody decides is failed by the sweep). A late run for an older try than the
    payment's current one decides nothing either."""
    frames = take_frames(frames_key)  # the frames leave the cache here, whatever happens
    if frames is None:
        return "already_processed"
    if not _in_try(payment_id=payment_id, attempt=attempt):
        return "payment_moved"
    # Decrypted outside any transaction, and only this customer's templates.
    templates = load_face_templates(user_ids=[customer_id]).get(customer_id, [])
    check = verify_burst(
        frames=frames, customer_id=customer_id, templates=templates, **_burst_kwargs(burst)
    )
    del frames
    face_check_finish(ticket=FaceCheckTicket(payment_id, customer_id, attempt), check=check)
    return check.outcome


def _in_try(*, payment_id: int, attempt: int) -> bool:
    return Payment.objects.filter(
        pk=payment_id, status=Status.MATCHING, match_attempts=attempt
    ).exists()


def face_check_finish(*, ticket: FaceCheckTicket, check: RecognitionResult) -> Payment:
    attempt = recognition_attempt_record(
        payment_id=ticket.payment_id,
        kiosk_id=None,
        outcome=check.outcome,
        # A failed burst that showed this customer's face names them too.
        customer_id=check.customer_id,
        best_distance=check.best_distance,
        liveness_score=check.liveness_score,
        pad_score=check.pad_score,
        timings_ms=check.timings_ms,
        # A failed check on your payment is shown on your "where my face was used" page.
        near_customer_ids=[ticket.customer_id],
    )
    if not check.matched:
        return payment_fail(
            payment_id=ticket.payment_id, reason=check.outcome, attempt=ticket.attempt
        )
    return _approve(
        payment_id=ticket.payment_id,
        customer_id=ticket.customer_id,
        event="payment.face_verified",
        attempt=ticket.attempt,
        attempt_id=attempt.pk,
        distance=check.best_distance,
        threshold=check.threshold,
        liveness_score=check.liveness_score,
    )


def face_check_outcome(*, ticket: FaceCheckTicket) -> Payment | None:
    """The payment once its try has been decided (it left `matching` for this try), else
    None."""
    payment = online_payment_for(payment_id=ticket.payment_id, customer_id=ticket.customer_id)
    if payment.status == Status.MATCHING and payment.match_attempts == ticket.attempt:
        return None
    return payment


def face_check_give_up(*, ticket: FaceCheckTicket) -> Payment:
    """The try outlived its budget: failed as the stuck-matching sweep would fail it
    (`recognition_timeout`, retry allowed); a late answer will not decide it."""
    payment_fail(payment_id=ticket.payment_id, reason="recognition_timeout", attempt=ticket.attempt)
    return online_payment_for(payment_id=ticket.payment_id, customer_id=ticket.customer_id)


def _burst_json(capture: FaceCapture | None, times: CaptureTimes | None) -> dict:
    """What the task needs to hold the burst to its ticket: numbers only."""
    if capture is None:
        return {}
    return {
        "challenge": capture.challenge.as_json(),
        "times": asdict(times) if times is not None else None,
    }


def _burst_kwargs(burst: dict) -> dict:
    if not burst:
        return {}
    times = burst.get("times")
    return {
        "challenge": Challenge.from_json(burst["challenge"]),
        "times": CaptureTimes(**times) if times is not None else None,
    }


async def aonline_face_confirm(
    *,
    payment_id: int,
    customer_id: int,
    frames: list[bytes],
    capture: FaceCapture | None = None,
    times: CaptureTimes | None = None,
) -> Payment:
    """``capture``: the claimed ticket whose challenge the burst must follow (the view
    always passes one); ``times``: the frames' capture times.

    The face work runs on a recognition worker; this request waits for its try to be
    decided without holding a thread (a short read every FACE_CHECK_POLL_SECONDS), up to
    PAYMENT_MATCHING_TIMEOUT_SECONDS, and then gives the try up as the sweep would."""
    ticket = await sync_to_async(face_check_submit)(
        payment_id=payment_id, customer_id=customer_id, frames=frames, capture=capture, times=times
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.PAYMENT_MATCHING_TIMEOUT_SECONDS
    while True:
        payment = await sync_to_async(face_check_outcome)(ticket=ticket)
        if payment is not None:
            return payment
        if loop.time() >= deadline:
            return await sync_to_async(face_check_give_up)(ticket=ticket)
        await asyncio.sleep(FACE_CHECK_POLL_SECONDS)


def online_password_confirm(
    *, payment_id: int, customer_id: int, password: str, ip: str
) -> Payment:
    """For customers without face pay: the account password, counted like a face try and
    like a failed sign-in. Raises RateLimited, before any try starts, while the account or
    the client address is locked out of sign-in."""
    online_payment_for(payment_id=payment_id, customer_id=customer_id)
    if customer_face_pay_status(user_id=customer_id).enabled:
        raise CheckoutError("use_face", _("confirm this payment with your face"))
    # Counted before the payment's try starts: a try refused by the lockout must not
    # leave the payment matching (and spend one of its tries) for nothing.
    tried = signin_limits.password_try(user_id=customer_id, ip=ip)
    try:
        payment = _start_attempt(payment_id=payment_id, customer_id=customer_id)
    except Exception:
        signin_limits.try_given_back(tried)
        raise
    # Hashing is slow on purpose: done outside any transaction.
    ok = signin_limits.password_matches(user_id=customer_id, password=password, tried=tried)
    if not ok:
        return payment_fail(
            payment_id=payment_id, reason="wrong_password", attempt=payment.match_attempts
        )
    return _approve(
        payment_id=payment_id, customer_id=customer_id, event="payment.password_verified"
    )


def _approve(
    *, payment_id: int, customer_id: int, event: str, attempt: int | None = None, **data
) -> Payment:
    """matching -> awaiting_confirmation -> succeeded in one transaction: the customer
    has just confirmed, so there is nothing left to wait for. payment_match still applies
    the customer's limits and balance (and may decline). ``attempt``: only if the payment
    is still in that try."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != Status.MATCHING or (
            attempt is not None and payment.match_attempts != attempt
        ):
            return payment  # a late answer: the try was decided or given up meanwhile
        audit(event, payment_id=payment_id, data={"customer_id": customer_id, **data})
        payment = payment_match(payment_id=payment_id, customer_id=customer_id, attempt=attempt)
        if payment.status == Status.AWAITING_CONFIRMATION:
            payment = payment_approve(payment_id=payment_id, customer_id=customer_id)
    return payment


def online_decline(*, payment_id: int, customer_id: int) -> Payment:
    """The customer refuses the request, whatever step it is at; the merchant gets
    `payment.declined` (reason customer_declined)."""
    online_payment_for(payment_id=payment_id, customer_id=customer_id)
    return payment_decline(payment_id=payment_id, customer_id=customer_id, before_match=True)


def return_url_for(payment: Payment) -> str:
    """The merchant's return URL with `payment_id` and `status` added ("" if none).

    The status is a hint for the page: a shop must trust only the webhook or the API."""
    if not payment.return_url:
        return ""
    # Checked again: the merchant may have removed the host since the request was made.
    if return_url_problem(payment.return_url, registered=payment.merchant.return_host_list):
        return ""
    parts = urlsplit(payment.return_url)
    extra = urlencode({"payment_id": payment.pk, "status": payment.status})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
