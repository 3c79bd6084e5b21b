"""Customer portal: dashboard, payment history, face activity, the confirm page.

Every query is filtered by the signed-in customer, so a customer only ever reaches
their own payments and the attempts that matched or nearly matched them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import customer_face_pay_status, push_subscription_count
from payments import funding, selectors, services
from payments.errors import PaymentError
from payments.labels import answer_sentence, customer_reason_label
from payments.models import Payment, RecognitionAttempt
from payments.online.services import return_url_for
from payments.portal.live import waiting_obstacle
from smilepay import support


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user_id = request.user.pk
    return render(
        request,
        "payments/portal/dashboard.html",
        {
            "section": "dashboard",
            "wallets": selectors.wallet_balance(user_id=user_id),
            "pending": _with_obstacles(
                selectors.customer_pending_confirmations(customer_id=user_id)
            ),
            "recent": selectors.customer_payments(customer_id=user_id)[:5],
            "face_pay": customer_face_pay_status(user_id=user_id),
            "funding_providers": funding.enabled_providers(),
            "devices": push_subscription_count(user_id=user_id),
        },
    )


def _with_obstacles(payments) -> list[Payment]:
    waiting = list(payments)
    for payment in waiting:
        payment.obstacle = waiting_obstacle(payment)
    return waiting


@login_required
def payment_history(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.customer_payments(customer_id=request.user.pk), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "payments/portal/payments.html", {"section": "payments", "page": page})


@login_required
def face_activity(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.customer_face_activity(customer_id=request.user.pk), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "payments/portal/activity.html", {"section": "activity", "page": page})


@require_POST
@login_required
def flag_attempt(request: HttpRequest, attempt_id: int) -> HttpResponse:
    try:
        services.recognition_attempt_flag(attempt_id=attempt_id, customer_id=request.user.pk)
    except RecognitionAttempt.DoesNotExist as exc:
        raise Http404 from exc
    messages.warning(
        request,
        _(
            "Thanks for telling us. Face pay is paused on your account until you turn it "
            "back on in Settings; please also check your recent payments."
        )
        + " "
        + support.ask_for_help(),
    )
    return redirect("portal:activity")


def own_payment(request: HttpRequest, payment_id: int) -> Payment:
    """The signed-in customer's payment, kiosk or online; 404 for anyone else's. Public:
    the online confirm page (payments.online.views) shares it."""
    try:
        return selectors.payment_for_customer(payment_id=payment_id, customer_id=request.user.pk)
    except Payment.DoesNotExist as exc:
        raise Http404 from exc


def _say_what_the_answer_did(request: HttpRequest, payment: Payment) -> None:
    said = answer_sentence(payment)
    if payment.status == Payment.Status.SUCCEEDED:
        messages.success(request, said)
    elif said:
        messages.info(request, said)
    elif payment.status == Payment.Status.DECLINED:
        messages.error(
            request,
            _("The payment could not go through: %(reason)s.")
            % {"reason": customer_reason_label(payment.reason)},
        )


@login_required
def confirm(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Approve or decline a matched payment. Answering twice changes nothing."""
    payment = own_payment(request, payment_id)
    if request.method == "POST":
        before = payment.status
        action = request.POST.get("action")
        try:
            if action == "approve":
                payment = services.payment_approve(
                    payment_id=payment.pk, customer_id=request.user.pk
                )
            elif action == "decline":
                payment = services.payment_decline(
                    payment_id=payment.pk, customer_id=request.user.pk
                )
        except PaymentError as exc:
            messages.error(request, exc.message)
        else:
            if payment.status != before:  # a second click changed nothing: nothing to say
                _say_what_the_answer_did(request, payment)
        # Post/redirect/get: a reload never re-sends the answer.
        return redirect("portal:confirm", payment_id=payment.pk)
    return render(
        request,
        "payments/portal/confirm.html",
        {
            "section": "payments",
            "payment": payment,
            "awaiting": payment.status == Payment.Status.AWAITING_CONFIRMATION,
            "return_url": return_url_for(payment),
        },
    )
