"""Merchant site: dashboard, payments (search, detail, refund), CSV export."""

from __future__ import annotations

import csv
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from payments import selectors, services
from payments.errors import PaymentError
from payments.events import format_money
from payments.labels import outcome_label
from payments.merchant import charts, stats
from payments.merchant.access import SESSION_KEY, can_manage, merchant_view
from payments.merchant.forms import PaymentFilterForm, RefundForm
from payments.models import MerchantMembership, Payment


@merchant_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    days = stats.daily_figures(merchant_id=request.merchant.pk, days=30)
    labels = [d.day.strftime("%d %b") for d in days]
    money = lambda v: f"{v / 100:,.2f}"  # noqa: E731
    outcomes = stats.recognition_outcomes(merchant_id=request.merchant.pk)
    total_volume = sum(d.volume_minor for d in days)
    decided = sum(d.decided for d in days)
    context = {
        "volume_chart": charts.bar_chart(
            list(zip(labels, [d.volume_minor for d in days], strict=True)),
            title="Daily volume (captured)",
            fmt=money,
        ),
        "count_chart": charts.bar_chart(
            list(zip(labels, [d.count for d in days], strict=True)),
            title="Payments per day",
            color="#1f5fbf",
        ),
        "success_chart": charts.line_chart(
            list(zip(labels, [d.success_rate for d in days], strict=True)),
            title="Success rate",
            fmt=lambda v: f"{v:.0%}",
            max_value=1.0,
        ),
        "decision_chart": charts.line_chart(
            list(zip(labels, [d.median_decision_s for d in days], strict=True)),
            title="Median decision time (s)",
            fmt=lambda v: f"{v:.1f}s",
            color="#b26b00",
        ),
        "outcomes": _outcome_rows(outcomes),
        "total_volume": format_money(total_volume, request.merchant.currency),
        "total_count": sum(d.count for d in days),
        "success_rate": (sum(d.succeeded for d in days) / decided) if decided else None,
        "balances": selectors.merchant_balance(merchant_id=request.merchant.pk),
    }
    return render(request, "merchant/dashboard.html", context)


def _outcome_rows(outcomes: list[tuple[str, int]]) -> list[dict]:
    """Recognition outcomes as labelled bars (long words do not fit under an SVG bar)."""
    most = max((n for _, n in outcomes), default=0)
    return [
        {"label": outcome_label(code), "count": n, "share": round(100 * n / most)}
        for code, n in outcomes
    ]


def _filtered(request: HttpRequest):
    form = PaymentFilterForm(request.GET or None)
    filters: dict = {}
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
        request, "merchant/payments.html", {"form": form, "page": page, "query": query.urlencode()}
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@merchant_view()
def payment_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered payments as CSV, streamed (an export can be large)."""
    _, qs = _filtered(request)
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
                    p.reason,
                    p.channel,
                    p.kiosk.name if p.kiosk else "",
                    p.amount_minor,
                    p.currency,
                    p.refunded_minor,
                    # A leading =, +, - or @ would run as a formula in a spreadsheet.
                    ("'" + p.description)
                    if p.description[:1] in "=+-@" and p.description
                    else p.description,
                    p.decided_at.isoformat() if p.decided_at else "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
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
    form = RefundForm(initial={"expected_refunded_minor": payment.refunded_minor})
    return render(
        request,
        "merchant/payment_detail.html",
        {
            "payment": payment,
            "events": payment.events.all(),
            "attempts": payment.attempts.all(),
            "refunds": payment.refunds.all(),
            "refund_form": form if can_manage(request) and payment.refundable_minor else None,
            "refundable": Decimal(payment.refundable_minor) / 100,
        },
    )


@require_POST
@merchant_view(manage=True)
def payment_refund(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = get_object_or_404(Payment, pk=payment_id, merchant=request.merchant)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Check the refund amount.")
        return redirect("merchant:payment", payment_id=payment.pk)
    amount = form.cleaned_data["amount"]
    try:
        refund = services.payment_refund(
            payment_id=payment.pk,
            amount_minor=int(amount * 100) if amount else None,
            reason=form.cleaned_data["reason"],
            created_by_id=request.user.pk,
            expected_refunded_minor=form.cleaned_data["expected_refunded_minor"],
        )
    except PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Refunded {format_money(refund.amount_minor, payment.currency)}."
        )
    return redirect("merchant:payment", payment_id=payment.pk)


@require_POST
@merchant_view()
def switch_merchant(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("merchant_id", "")
    if (
        wanted.isdigit()
        and MerchantMembership.objects.filter(user=request.user, merchant_id=int(wanted)).exists()
    ):
        request.session[SESSION_KEY] = int(wanted)
    return redirect("merchant:dashboard")
