"""Kiosk pages and the JSON calls its page makes. Thin: the work is in services."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kiosk import devices, limits
from kiosk.selectors import kiosk_current_payment, kiosk_payment, kiosk_payment_state
from kiosk.services import (
    CaptureError,
    capture_session_open,
    capture_submit,
    kiosk_start_payment,
)
from merchants import selectors as merchant_selectors
from merchants import services as merchant_services
from merchants.errors import PairingError, UnpairRefused
from payments import services as payment_services
from payments.errors import PaymentError
from smilepay import ratelimit
from smilepay.frames import burst_body_cap
from smilepay.json_body import BadJsonBody, read_json_object
from smilepay.money import currency_exponent
from smilepay.parsing import strict_length


def _error(message: str, *, code: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def kiosk_device_required(view):
    """JSON views: the request must come from a paired, unrevoked kiosk."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        kiosk = merchant_selectors.kiosk_for_device(
            device_token=request.COOKIES.get(devices.DEVICE_COOKIE)
        )
        if kiosk is None:
            return _error(
                _("This device is not paired with a kiosk."), code="not_paired", status=401
            )
        request.kiosk = kiosk
        try:
            return view(request, *args, **kwargs)
        except CaptureError as exc:
            return _error(str(exc), code=exc.code, status=exc.status)
        except PaymentError as exc:
            return _error(exc.message, code=exc.code, status=exc.http_status)
        except limits.RateLimited as exc:
            response = _error(str(exc), code="rate_limited", status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response

    return wrapped


def _kiosk_page(request: HttpRequest, kiosk, *, status: int = 200, **extra) -> HttpResponse:
    context = {
        "kiosk": kiosk,
        "min_frames": settings.KIOSK_MIN_FRAMES,
        # The keypad types in the currency's minor units and stops at the shop's maximum.
        "currency_exponent": currency_exponent(kiosk.merchant.currency),
        "max_amount_minor": kiosk.merchant.payment_cap_minor,
        **extra,
    }
    return render(request, "kiosk/kiosk.html", context, status=status)


def _pairing_page(request: HttpRequest) -> HttpResponse:
    # A device that was paired until now says why it is asked to pair again.
    was_paired = bool(request.COOKIES.get(devices.DEVICE_COOKIE))
    response = render(request, "kiosk/pair.html", {"was_paired": was_paired})
    if was_paired:  # revoked or replaced: forget it here too
        response.delete_cookie(devices.DEVICE_COOKIE, samesite="Strict")
    return response


@require_GET
def kiosk_home(request: HttpRequest) -> HttpResponse:
    kiosk = merchant_selectors.kiosk_for_device(
        device_token=request.COOKIES.get(devices.DEVICE_COOKIE)
    )
    if kiosk is None:
        return _pairing_page(request)
    return _kiosk_page(request, kiosk)


@require_POST
def kiosk_pair(request: HttpRequest) -> HttpResponse:
    try:
        pairing = merchant_services.kiosk_pair(code=request.POST.get("code", ""))
    except PairingError as exc:
        return render(request, "kiosk/pair.html", {"error": str(exc)}, status=400)
    response = redirect("kiosk:home")
    response.set_cookie(
        devices.DEVICE_COOKIE,
        pairing.device_token,
        max_age=devices.DEVICE_COOKIE_MAX_AGE,
        secure=settings.HTTPS,
        httponly=True,
        samesite="Strict",
    )
    return response


@require_POST
def kiosk_unpair(request: HttpRequest) -> HttpResponse:
    """A manager of the kiosk's merchant confirms with their own sign-in; the device is
    then revoked on the server (kiosk_revoke), not merely forgotten by this browser."""
    kiosk = merchant_selectors.kiosk_for_device(
        device_token=request.COOKIES.get(devices.DEVICE_COOKIE)
    )
    if kiosk is None:
        return _pairing_page(request)
    try:
        merchant_services.kiosk_unpair(
            kiosk=kiosk,
            email=request.POST.get("email", ""),
            password=request.POST.get("password", ""),
            authenticate=lambda **credentials: authenticate(request, **credentials),
        )
    except UnpairRefused as exc:
        return _kiosk_page(request, kiosk, status=exc.status, unpair_error=exc.message)
    except ratelimit.RateLimited:
        return _kiosk_page(request, kiosk, status=429, unpair_error=devices.UNPAIR_LIMITED)
    messages.success(request, _("This device is unpaired: the kiosk takes no more payments here."))
    response = redirect("kiosk:home")
    response.delete_cookie(devices.DEVICE_COOKIE, samesite="Strict")
    return response


def _json_body(request: HttpRequest) -> dict:
    try:
        return read_json_object(request)
    except BadJsonBody as exc:
        raise CaptureError(str(exc), code=exc.code) from exc


@require_POST
@kiosk_device_required
def api_create_payment(request: HttpRequest) -> JsonResponse:
    amount = _json_body(request).get("amount_minor")
    # The merchant's maximum (payment_create) also refuses what a bigint could not hold.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise CaptureError(
            _("amount_minor must be a whole number of cents."), code="invalid_amount"
        )
    payment = kiosk_start_payment(kiosk_id=request.kiosk.pk, amount_minor=amount)
    return JsonResponse({"payment": kiosk_payment_state(payment=payment)}, status=201)


@require_GET
@kiosk_device_required
def api_current_payment(request: HttpRequest) -> JsonResponse:
    payment = kiosk_current_payment(kiosk_id=request.kiosk.pk)
    return JsonResponse({"payment": kiosk_payment_state(payment=payment) if payment else None})


@require_POST
@kiosk_device_required
def api_open_capture(request: HttpRequest, payment_id: int) -> JsonResponse:
    ticket = capture_session_open(kiosk_id=request.kiosk.pk, payment_id=payment_id)
    return JsonResponse(
        {
            "token": ticket.token,
            "expires_at": ticket.expires_at,
            "require_phone_digits": bool(ticket.phone_digits_reason),
            "phone_digits_reason": ticket.phone_digits_reason,
            "challenge": ticket.challenge,
        },
        status=201,
    )


@require_POST
@kiosk_device_required
def api_submit_capture(request: HttpRequest) -> JsonResponse:
    # Under ASGI smilepay/body_limits.py refuses it before reading; this is the backstop.
    if strict_length(request.META.get("CONTENT_LENGTH")) > burst_body_cap():
        return _error(_("The upload is too large."), code="too_large", status=413)
    frames = [upload.read() for upload in request.FILES.getlist("frame")]
    payment = capture_submit(
        kiosk_id=request.kiosk.pk,
        token=request.POST.get("token", ""),
        frames=frames,
        phone_digits=request.POST.get("phone_digits", ""),
        frame_times=request.POST.get("timestamps"),
        started_at=request.POST.get("started_at"),
    )
    payment.refresh_from_db()
    return JsonResponse({"payment": kiosk_payment_state(payment=payment)}, status=202)


@require_POST
@kiosk_device_required
def api_cancel_payment(request: HttpRequest, payment_id: int) -> JsonResponse:
    payment = kiosk_payment(kiosk_id=request.kiosk.pk, payment_id=payment_id)
    if payment is None:
        return _error(_("No such payment at this kiosk."), code="not_found", status=404)
    payment = payment_services.payment_cancel(payment_id=payment.pk, reason="canceled_at_kiosk")
    return JsonResponse({"payment": kiosk_payment_state(payment=payment)})
