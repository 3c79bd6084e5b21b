"""The confirm page of an online payment request, and its face, password and decline
actions. Thin: payments.online.services decides; every payment is the signed-in
customer's own (online_payment_for)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.forms import password_locked_message
from accounts.selectors import customer_face_pay_status
from payments import selectors
from payments.errors import NotYourPayment, PaymentError
from payments.labels import customer_reason_label, obstacle_sentence
from payments.models import Payment
from payments.online import services
from payments.portal import views as portal_views
from smilepay.faces import CaptureTimes
from smilepay.frames import FrameError, capture_times, validate_burst
from smilepay.ratelimit import RateLimited, client_ip

MESSAGES = {
    "matched": _("That's you. Payment confirmed."),
    "not_live": _("We need to see you follow the prompts: smile, or relax, when asked. Try again."),
    "presentation_attack": _(
        "That looked like a photo or a screen, not a live face. Hold the phone yourself, in "
        "front of your face, and try again."
    ),
    "no_face": _("We couldn't see your face. Look straight at the camera, in good light."),
    "bad_image": _("The camera picture was unusable. Try again."),
    "no_match": _("That didn't look like you. Try again."),
    "wrong_password": _("That password is not right."),
    services.TOO_MANY_ATTEMPTS: _("Too many tries: this payment request has failed."),
    "recognition_timeout": _("That took too long. Try again."),
    "recognition_unavailable": _("Face checks are not available right now. Try again in a moment."),
}


def _own(request: HttpRequest, payment_id: int) -> Payment:
    """The customer's own online payment; any other (someone's, a kiosk payment) is 404:
    these actions do not exist for it."""
    try:
        return services.online_payment_for(payment_id=payment_id, customer_id=request.user.pk)
    except PaymentError as exc:  # not theirs, or not an online payment
        raise Http404 from exc


@login_required
def confirm(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The push notification's link. Kiosk payments keep the portal's approve/decline page."""
    payment = portal_views.own_payment(request, payment_id)
    if payment.channel != Payment.Channel.ONLINE:
        return portal_views.confirm(request, payment_id)
    if request.method == "POST":
        # Only declining needs no proof; approving takes the face or password actions.
        if request.POST.get("action") == "decline":
            return decline(request, payment_id)
        return redirect("portal:confirm", payment_id=payment_id)
    face_pay = customer_face_pay_status(user_id=request.user.pk)
    final = payment.is_final
    is_open = not final and payment.is_open
    obstacle = (
        selectors.payment_obstacle(payment=payment, customer_id=request.user.pk) if is_open else ""
    )
    return render(
        request,
        "payments/online/confirm.html",
        {
            "section": "payments",
            "payment": payment,
            "final": final,
            "open": is_open,
            "obstacle": obstacle,
            "obstacle_sentence": obstacle_sentence(obstacle),
            "use_face": face_pay.enabled,
            "face_paused": face_pay.paused,
            "attempts_left": services.attempts_left(payment),
            "return_url": services.return_url_for(payment) if final else "",
            "failure": MESSAGES.get(payment.reason, "") if payment.status == "failed" else "",
        },
    )


def _frames(request: HttpRequest) -> list[bytes]:
    frames = [upload.read() for upload in request.FILES.getlist("frame")]
    try:
        # The kiosk's checks: count, size and type from the header only, so that a pixel
        # bomb never reaches the face engine.
        validate_burst(frames)
    except FrameError as exc:
        raise services.CheckoutError("bad_burst", str(exc)) from exc
    return frames


def _state(payment: Payment, **extra) -> dict:
    final = payment.is_final
    return {
        "payment_id": payment.pk,
        "status": payment.status,
        "reason": payment.reason,
        "attempts_left": services.attempts_left(payment),
        "final": final,
        "redirect": services.return_url_for(payment) if final else "",
        **extra,
    }


def _sent_times(request: HttpRequest, count: int) -> tuple[list[float], float | None]:
    """The page's capture times, checked before the ticket is spent on them."""
    try:
        return capture_times(
            request.POST.get("timestamps"), request.POST.get("started_at"), count=count
        )
    except FrameError as exc:
        raise services.CheckoutError(exc.code, str(exc)) from exc


def _times(sent: tuple[list[float], float | None], issued_at_ms: float) -> CaptureTimes:
    frame_ms, started_at = sent
    return CaptureTimes(
        frame_ms=frame_ms,
        started_at_ms=started_at,
        issued_at_ms=issued_at_ms,
        received_at_ms=timezone.now().timestamp() * 1000,
        clock_skew_ms=settings.FACE_CHALLENGE_CLOCK_SKEW_SECONDS * 1000,
    )


@require_POST
@login_required
async def face_start(request: HttpRequest, payment_id: int) -> JsonResponse:
    """A capture ticket for the camera page: a one-time token and the challenge to follow."""
    user = await request.auser()
    try:
        ticket = await sync_to_async(services.face_capture_open)(
            payment_id=payment_id, customer_id=user.pk
        )
    except NotYourPayment as exc:
        raise Http404 from exc
    except PaymentError as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=409)
    return JsonResponse(ticket, status=201)


@require_POST
@login_required
async def face(request: HttpRequest, payment_id: int) -> JsonResponse:
    """POST the smile burst (multipart `frame` x 4..12, `token` from face_start, each
    frame's capture time in `timestamps`, `started_at`); answers the payment's new state
    once a recognition worker has decided the try (or its time budget has passed)."""
    user = await request.auser()
    try:
        # Whose payment first: anybody else's is 404 whatever the burst looks like.
        await sync_to_async(services.online_payment_for)(payment_id=payment_id, customer_id=user.pk)
        frames = _frames(request)
        sent = _sent_times(request, len(frames))
        capture = await sync_to_async(services.face_capture_claim)(
            token=request.POST.get("token", ""), payment_id=payment_id, customer_id=user.pk
        )
        times = _times(sent, capture.issued_at_ms)
        payment = await services.aonline_face_confirm(
            payment_id=payment_id, customer_id=user.pk, frames=frames, capture=capture, times=times
        )
    except NotYourPayment as exc:
        raise Http404 from exc
    except PaymentError as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=409)
    message = MESSAGES.get(payment.reason or "matched", payment.reason)
    if payment.status == Payment.Status.DECLINED:
        message = _("Payment declined: %(reason)s.") % {
            "reason": customer_reason_label(payment.reason)
        }
    # _state reads the merchant's return hosts: database work, so in a thread.
    return JsonResponse(await sync_to_async(_state)(payment, message=message))


@require_POST
@login_required
def password(request: HttpRequest, payment_id: int) -> HttpResponse:
    _own(request, payment_id)
    try:
        payment = services.online_password_confirm(
            payment_id=payment_id,
            customer_id=request.user.pk,
            password=request.POST.get("password", ""),
            ip=client_ip(request),
        )
    except RateLimited as exc:
        messages.error(request, password_locked_message(exc.retry_after_minutes))
        return redirect("portal:confirm", payment_id=payment_id)
    except PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("portal:confirm", payment_id=payment_id)
    return _after(request, payment)


@require_POST
@login_required
def decline(request: HttpRequest, payment_id: int) -> HttpResponse:
    _own(request, payment_id)
    payment = services.online_decline(payment_id=payment_id, customer_id=request.user.pk)
    return _after(request, payment)


def _after(request: HttpRequest, payment: Payment) -> HttpResponse:
    """Back to the shop once the request is settled; otherwise the page again (PRG)."""
    target = services.return_url_for(payment) if payment.is_final else ""
    if target:
        return redirect(target)
    # A try that may be retried is explained on the page itself (its `failure`).
    if payment.status == Payment.Status.FAILED and payment.is_final:
        messages.error(request, MESSAGES.get(payment.reason, payment.reason))
    return redirect("portal:confirm", payment_id=payment.pk)
