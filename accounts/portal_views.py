"""Portal pages owned by accounts: consent, face, enrollment, notifications, settings,
privacy. Money pages (dashboard, payments, activity) are payments'."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import enrollment, push, selectors, services, signin_limits
from accounts.consent import current_consent
from accounts.errors import AccountsError, ConsentRequired, EnrollmentRefused, PhoneNotVerified
from accounts.forms import (
    ConsentForm,
    DeleteAccountForm,
    FacePaySettingsForm,
    password_locked_message,
)
from accounts.signals import account_deletion_viewed
from accounts.views import client_meta
from smilepay import money, ratelimit
from smilepay.json_body import BadJsonBody, read_json_object

logger = logging.getLogger(__name__)


def _json_error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


# --- consent ----------------------------------------------------------------------------


@never_cache
@login_required
def consent(request: HttpRequest) -> HttpResponse:
    text = current_consent()
    status = selectors.customer_face_pay_status(user_id=request.user.pk)
    form = ConsentForm(request.POST or None, initial={"version": text.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_grant(
                user_id=request.user.pk,
                version=form.cleaned_data["version"],
                **client_meta(request),
            )
        except PhoneNotVerified as exc:
            messages.error(request, exc.message)
            return redirect(f"/accounts/verify-phone/?next={request.path}")
        except AccountsError as exc:
            messages.error(request, exc.message)
            return redirect("portal:consent")
        messages.success(request, _("Thank you. You can now enroll your face."))
        return redirect("portal:enroll")
    return render(
        request,
        "portal/consent.html",
        {"form": form, "text": text, "status": status, "section": "face"},
    )


@login_required
@require_POST
def consent_withdraw(request: HttpRequest) -> HttpResponse:
    services.consent_withdraw(user_id=request.user.pk, **client_meta(request))
    messages.success(
        request, _("Consent withdrawn. Face pay is off and your face data has been destroyed.")
    )
    return redirect("portal:privacy")


# --- face and enrollment ----------------------------------------------------------------


@never_cache
@login_required
def face(request: HttpRequest) -> HttpResponse:
    status = selectors.customer_face_pay_status(user_id=request.user.pk)
    return render(
        request,
        "portal/face.html",
        {
            "status": status,
            "paused_because": selectors.paused_because(status.paused_reason),
            "section": "face",
        },
    )


@never_cache
@login_required
def enroll(request: HttpRequest) -> HttpResponse:
    status = selectors.customer_face_pay_status(user_id=request.user.pk)
    if not status.phone_verified:
        return redirect(f"/accounts/verify-phone/?next={request.path}")
    if not status.consent_current:
        messages.info(request, _("Please read and accept the biometric consent first."))
        return redirect("portal:consent")
    return render(
        request,
        "portal/enroll.html",
        {
            "status": status,
            "needed": settings.FACE_ENROLL_CAPTURES,
            "section": "face",
        },
    )


@login_required
@require_POST
def enroll_start(request: HttpRequest) -> JsonResponse:
    """The enrolment page, once its camera runs: a fresh start (earlier captures go)."""
    try:
        enrollment.enrollment_start(user_id=request.user.pk)
    except (ConsentRequired, PhoneNotVerified) as exc:
        return _json_error(403, exc.code, exc.message)
    return JsonResponse({"ok": True, "needed": settings.FACE_ENROLL_CAPTURES})


def _frame_endpoint(handler):
    """POST an image (image/jpeg body) -> JSON; the common checks and error shapes."""

    @login_required
    @require_POST
    def view(request: HttpRequest) -> JsonResponse:
        try:
            enrollment.enrollment_frame_count(user_id=request.user.pk)
        except ratelimit.RateLimited:
            return _json_error(429, "rate_limited", _("Slow down a little."))
        try:
            image = request.body
        except RawPostDataException:  # a form: the CSRF check has read it already
            return _json_error(
                400, "not_an_image", _("Send the picture itself (image/jpeg), not a form.")
            )
        if len(image) > enrollment.MAX_IMAGE_BYTES:
            return _json_error(413, "too_large", _("The picture is too large."))
        try:
            return JsonResponse(handler(request.user.pk, image))
        except (ConsentRequired, PhoneNotVerified) as exc:
            return _json_error(403, exc.code, exc.message)
        except EnrollmentRefused as exc:
            return _json_error(422, exc.code, exc.message, guidance=exc.guidance)

    return view


enroll_check = _frame_endpoint(
    lambda user_id, body: enrollment.enrollment_check_frame(user_id=user_id, image=body).as_json()
)
enroll_capture = _frame_endpoint(
    lambda user_id, body: enrollment.enrollment_capture(user_id=user_id, image=body).as_json()
)
enroll_self_check = _frame_endpoint(
    lambda user_id, body: enrollment.enrollment_self_check(user_id=user_id, image=body).as_json()
)


# --- notifications ------------------------------------------------------------------------


@never_cache
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    devices = selectors.push_subscriptions(user_id=request.user.pk)
    return render(
        request,
        "portal/notifications.html",
        {
            "devices": devices,
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
            "section": "notifications",
        },
    )


def _text(value: object) -> str:
    """A JSON field that must be a string: anything else counts as missing."""
    return value if isinstance(value, str) else ""


@login_required
@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    try:
        data = read_json_object(request)
    except BadJsonBody as exc:
        return _json_error(400, exc.code, str(exc))
    keys = data.get("keys") or {}
    if not isinstance(keys, dict):
        return _json_error(
            400, "invalid_subscription", _("keys must be an object with p256dh and auth.")
        )
    try:
        subscription = services.push_subscribe(
            user_id=request.user.pk,
            endpoint=_text(data.get("endpoint")),
            p256dh=_text(keys.get("p256dh")),
            auth=_text(keys.get("auth")),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except AccountsError as exc:
        return _json_error(400, exc.code, exc.message)
    return JsonResponse({"ok": True, "id": subscription.pk}, status=201)


@login_required
@require_POST
def push_unsubscribe(request: HttpRequest) -> JsonResponse:
    try:
        data = read_json_object(request)
    except BadJsonBody as exc:
        return _json_error(400, exc.code, str(exc))
    removed = services.push_unsubscribe(
        user_id=request.user.pk, endpoint=_text(data.get("endpoint"))
    )
    return JsonResponse({"ok": True, "removed": removed})


@login_required
@require_POST
def push_test(request: HttpRequest) -> HttpResponse:
    count = push.push_send_test(user_id=request.user.pk)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"ok": True, "devices": count})
    if count:
        messages.success(
            request,
            ngettext(
                "Test notification sent to %(count)d device.",
                "Test notification sent to %(count)d devices.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.error(request, _("Turn on notifications on this device first."))
    return redirect("portal:notifications")


# --- settings -----------------------------------------------------------------------------


@never_cache
@login_required
def face_pay_settings(request: HttpRequest) -> HttpResponse:
    user_id = request.user.pk
    limits = selectors.customer_limits(user_id=user_id)
    status = selectors.customer_face_pay_status(user_id=user_id)
    initial = {
        "paused": status.paused,
        "always_require_phone_digits": limits.always_require_phone_digits,
        "per_payment_limit": limits.per_payment_limit_minor,
        "daily_limit": limits.daily_limit_minor,
        "auto_approve_below": limits.auto_approve_below_minor,
    }
    form = FacePaySettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.face_pay_settings_save(
                user_id=user_id,
                change=services.SettingsChange(
                    always_require_phone_digits=data["always_require_phone_digits"],
                    per_payment_limit_minor=data["per_payment_limit"],
                    daily_limit_minor=data["daily_limit"],
                    auto_approve_below_minor=data["auto_approve_below"],
                ),
                paused=data["paused"],
                **client_meta(request),
            )
        except ValidationError as exc:
            names = {
                "per_payment_limit_minor": "per_payment_limit",
                "daily_limit_minor": "daily_limit",
                "auto_approve_below_minor": "auto_approve_below",
            }
            for field, errors in exc.message_dict.items():
                form.add_error(names.get(field), errors)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("portal:settings")
    return render(
        request,
        "portal/settings.html",
        {
            "form": form,
            "status": status,
            "currency": money.currency_symbol(settings.DEFAULT_CURRENCY),
            "section": "settings",
        },
    )


# --- privacy ------------------------------------------------------------------------------


@never_cache
@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    user_id = request.user.pk
    return render(
        request,
        "portal/privacy.html",
        {
            "status": selectors.customer_face_pay_status(user_id=user_id),
            "consents": selectors.consent_history(user_id=user_id)[:50],
            "section": "privacy",
        },
    )


@login_required
@require_POST
def delete_face_data(request: HttpRequest) -> HttpResponse:
    services.face_data_delete(
        user_id=request.user.pk, reason="customer_request", **client_meta(request)
    )
    messages.success(request, _("Your face data has been destroyed. Face pay is off."))
    return redirect("portal:privacy")


@never_cache
@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _password_confirmed(request, form):
        services.account_delete(user_id=request.user.pk, **client_meta(request))
        logout(request)
        messages.success(request, _("Your account has been deleted."))
        return redirect("/")
    return render(
        request,
        "portal/delete_account.html",
        {"form": form, "warnings": _deletion_warnings(request.user.pk), "section": "privacy"},
    )


def _deletion_warnings(user_id: int) -> list[str]:
    """What other apps say the customer should know first (money left in the wallet)."""
    warnings = []
    for receiver, said in account_deletion_viewed.send_robust(sender=None, user_id=user_id):
        if isinstance(said, Exception):
            logger.warning("account deletion warnings from %s failed: %s", receiver, said)
        else:
            warnings.extend(said or [])
    return warnings


def _password_confirmed(request: HttpRequest, form: DeleteAccountForm) -> bool:
    """The password typed again, under the sign-in limits; the form says why not."""
    ip = ratelimit.client_ip(request)
    try:
        signin_limits.password_check_allowed(user_id=request.user.pk, ip=ip)
    except ratelimit.RateLimited as exc:
        form.add_error(None, password_locked_message(exc.retry_after_minutes))
        return False
    password = form.cleaned_data["password"]
    if signin_limits.password_confirmed(user_id=request.user.pk, password=password, ip=ip):
        return True
    form.add_error("password", _("That is not your password."))
    return False
