"""Merchant site: dashboard, payments (search, detail, refund), CSV export."""

from __future__ import annotations

import csv
import uuid
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merchants.models import MerchantMembership
from payments import selectors, services
from payments.errors import PaymentError
from payments.labels import outcome_label
from payments.merchant import charts, stats
from payments.merchant.access import SESSION_KEY, can_manage, merchant_view
from payments.merchant.forms import PaymentFilterForm, RefundConfirmForm, RefundForm
from payments.models import Payment
from smilepay import streaming
from smilepay.money import format_amount, format_money
from smilepay.parsing import strict_id
from smilepay.sentences import as_sentence
from smilepay.templatetags.locale_format import percent


@merchant_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    days = stats.daily_figures(merchant_id=request.merchant.pk, days=30)
    labels = [date_format(d.day, "MONTH_DAY_FORMAT") for d in days]
    currency = request.merchant.currency
    money = lambda v: format_amount(round(v), currency)  # noqa: E731  (axis ticks are floats)
    outcomes = stats.recognition_outcomes(merchant_id=request.merchant.pk)
    total_volume = sum(d.volume_minor for d in days)
    decided = sum(d.decided for d in days)
    context = {
        "volume_chart": charts.bar_chart(
            list(zip(labels, [d.volume_minor for d in days], strict=True)),
            title=_("Daily volume (captured)"),
            fmt=money,
        ),
        "count_chart": charts.bar_chart(
            list(zip(labels, [d.count for d in days], strict=True)),
            title=_("Payments per day"),
            color="#1f5fbf",
        ),
        "success_chart": charts.line_chart(
            list(zip(labels, [d.success_rate for d in days], strict=True)),
            title=_("Success rate"),
            fmt=percent,
            max_value=1.0,
        ),
        "decision_chart": charts.line_chart(
            list(zip(labels, [d.median_decision_s for d in days], strict=True)),
            title=_("Median decision time (s)"),
            fmt=_seconds,
            color="#b26b00",
        ),
        "outcomes": _outcome_rows(outcomes),
        "total_volume": format_money(total_volume, request.merchant.currency),
        "total_count": sum(d.count for d in days),
        "success_rate": (sum(d.succeeded for d in days) / decided) if decided else None,
        "balances": selectors.merchant_balance(merchant_id=request.merchant.pk),
    }
    return render(request, "merchant/dashboard.html", context)


def _seconds(value: float) -> str:
    return _("%(seconds)s s") % {"seconds": number_format(value, decimal_pos=1)}


def _outcome_rows(outcomes: list[tuple[str, int]]) -> list[dict]:
    """Recognition outcomes as labelled bars (long words do not fit under an SVG bar)."""
    most = max((n for _, n in outcomes), default=0)
    return [
        {"label": outcome_label(code), "count": n, "share": round(100 * n / most)}
        for code, n in outcomes
    ]


def _filtered(request: HttpRequest):
    """The filter form and the payments it selects (none while the form has errors)."""
    form = PaymentFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_bound and not form.is_valid():
        return form, Payment.objects.none()
    if form.is_valid():
        data = form.cleaned_data
        tz = timezone.get_current_timezone()
        filters = {
            "status": data["status"] or None,
            "channel": data["channel"] or None,
            "kiosk_id": data["kiosk"],
            "search": data["q"].strip(),
            "created_gte": datetime.combine(data["date_from"], time.min, tz)
            if data["date_from"]
            else None,
            "created_lt": datetime.combine(data["date_to"] + timedelta(days=1), time.min, tz)
            if data["date_to"]
            else None,
        }
    return form, selectors.merchant_payments(merchant_id=request.merchant.pk, **filters)


@merchant_view()
def payment_list(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "merchant/payments.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=400 if form.errors else 200,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


# What a spreadsheet reads as the start of a formula (OWASP's list): such a cell is
# written with a leading quote, so it shows as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Free text (an API key holder's cancel reason, a kiosk's name, a description)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@merchant_view()
def payment_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered payments as CSV, streamed (an export can be large)."""
    form, qs = _filtered(request)
    if form.errors:
        # The list says what is wrong with the filters, in words, next to them.
        return redirect(f"{reverse('merchant:payments')}?{request.GET.urlencode()}")
    writer = csv.writer(_Echo())
    header = [
        "id",
        "created_at",
        "status",
        "reason",
        "channel",
        "kiosk",
        "amount_minor",
        "currency",
        "refunded_minor",
        "description",
        "decided_at",
    ]

    def rows():
        yield writer.writerow(header)
        for p in qs.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    p.pk,
                    p.created_at.isoformat(),
                    p.status,
                    _cell(p.reason),
                    p.channel,
                    _cell(p.kiosk.name if p.kiosk else ""),
                    p.amount_minor,
                    p.currency,
                    p.refunded_minor,
                    _cell(p.description),
                    p.decided_at.isoformat() if p.decided_at else "",
                ]
            )

    response = StreamingHttpResponse(
        streaming.for_the_server(request, rows()), content_type="text/csv"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="{request.merchant.slug}-payments-{stamp}.csv"'
    )
    return response


@merchant_view()
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    try:
        payment = selectors.payment_get(payment_id=payment_id, merchant_id=request.merchant.pk)
    except Payment.DoesNotExist:
        return render(request, "merchant/not_found.html", status=404)
    form = RefundForm(initial={"expected_refunded_minor": payment.refunded_minor}, payment=payment)
    return _detail(request, payment, form)


def _detail(request: HttpRequest, payment: Payment, form: RefundForm, status: int = 200):
    return render(
        request,
        "merchant/payment_detail.html",
        {
            "payment": payment,
            "events": selectors.payment_events(payment_id=payment.pk),
            "attempts": payment.attempts.all(),
            "refunds": payment.refunds.all(),
            "refund_form": form if can_manage(request) and payment.refundable_minor else None,
            "refundable": format_money(payment.refundable_minor, payment.currency),
        },
        status=status,
    )


@require_POST
@merchant_view(manage=True)
def payment_refund(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Two steps: the typed amount is checked and shown back; only a confirmation refunds."""
    payment = get_object_or_404(Payment, pk=payment_id, merchant=request.merchant)
    if request.POST.get("confirmed"):
        return _refund_confirmed(request, payment)
    form = RefundForm(request.POST, payment=payment)
    if not form.is_valid():
        return _detail(request, payment, form, status=400)
    data = form.cleaned_data
    return render(
        request,
        "merchant/refund_confirm.html",
        {
            "payment": payment,
            "amount": format_money(data["amount"], payment.currency),
            "amount_minor": data["amount"],
            "reason": data["reason"],
            "expected_refunded_minor": data["expected_refunded_minor"],
            "refund_key": uuid.uuid4().hex,
            "full": data["amount"] == payment.refundable_minor,
        },
    )


def _refund_confirmed(request: HttpRequest, payment: Payment) -> HttpResponse:
    form = RefundConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The refund was not confirmed; enter the amount again."))
        return redirect("merchant:payment", payment_id=payment.pk)
    data = form.cleaned_data
    try:
        refund = services.payment_refund(
            payment_id=payment.pk,
            amount_minor=data["amount_minor"],
            reason=data["reason"],
            created_by_id=request.user.pk,
            expected_refunded_minor=data["expected_refunded_minor"],
            # The confirmation page's one-time key: a double click refunds once.
            idempotency_key=f"merchant-form:{data['refund_key']}",
        )
    except PaymentError as exc:
        messages.error(request, as_sentence(exc.message))
    else:
        messages.success(
            request,
            _("Refunded %(amount)s.")
            % {"amount": format_money(refund.amount_minor, payment.currency)},
        )
    return redirect("merchant:payment", payment_id=payment.pk)


@require_POST
@merchant_view()
def switch_merchant(request: HttpRequest) -> HttpResponse:
    wanted = strict_id(request.POST.get("merchant_id", ""))
    if (
        wanted is not None
        and MerchantMembership.objects.filter(user=request.user, merchant_id=wanted).exists()
    ):
        request.session[SESSION_KEY] = wanted
    return redirect("merchant:dashboard")
