"""Merchant site: kiosks (pairing codes + QR), API keys, webhook endpoints and deliveries.

Secrets (pairing codes, API keys, webhook signing secrets) are rendered in the response
to the POST that created them, never stored in clear for later display, and the page is
marked no-store so the browser does not keep it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merchants import services as merchant_services
from merchants.errors import InvalidSetting
from merchants.models import ApiKey, Kiosk, WebhookEndpoint
from payments import webhooks
from payments.errors import PaymentError
from payments.labels import event_label
from payments.merchant.access import can_manage, merchant_view
from payments.merchant.forms import ApiKeyForm, CheckoutSettingsForm, KioskForm, WebhookForm
from payments.merchant.once import first_time
from payments.merchant.qr import qr_svg
from payments.models import WebhookDelivery
from smilepay.sentences import as_sentence


def _already_done(message: str, to: str, *, request: HttpRequest) -> HttpResponse:
    """A creating form sent again (a reload of its answer): nothing is created twice."""
    messages.info(request, message)
    return redirect(to)


def _secret_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response


@merchant_view()
def kiosks(request: HttpRequest) -> HttpResponse:
    form = KioskForm(request.POST or None)
    if request.method == "POST":
        if not can_manage(request):
            return render(request, "merchant/forbidden.html", status=403)
        if form.is_valid() and not first_time(request, form):
            return _already_done(
                _("This kiosk was already created."), "merchant:kiosks", request=request
            )
        if form.is_valid():
            details = {k: v for k, v in form.cleaned_data.items() if k != "once"}
            kiosk = merchant_services.kiosk_create(
                merchant_id=request.merchant.pk, created_by_id=request.user.pk, **details
            )
            # The next thing anyone does with a new kiosk is pair it: the code comes at once.
            return _pairing_page(request, kiosk, created=True)
    return render(
        request,
        "merchant/kiosks.html",
        {
            "kiosks": Kiosk.objects.filter(merchant=request.merchant).order_by(
                "revoked_at", "name"
            ),
            "form": form,
            "can_manage": can_manage(request),
        },
    )


@require_POST
@merchant_view(manage=True)
def kiosk_pair(request: HttpRequest, kiosk_id: int) -> HttpResponse:
    kiosk = get_object_or_404(Kiosk, pk=kiosk_id, merchant=request.merchant)
    return _pairing_page(request, kiosk)


def _pairing_page(request: HttpRequest, kiosk: Kiosk, *, created: bool = False) -> HttpResponse:
    code = merchant_services.kiosk_issue_pairing_code(
        kiosk_id=kiosk.pk, issued_by_id=request.user.pk
    )
    pair_url = f"{settings.SITE_URL}/kiosk/?code={code}"
    return _secret_page(
        request,
        "merchant/kiosk_pair.html",
        {
            "kiosk": kiosk,
            "code": code,
            "qr": qr_svg(pair_url),
            "pair_url": pair_url,
            "created": created,
        },
    )


@require_POST
@merchant_view(manage=True)
def kiosk_revoke(request: HttpRequest, kiosk_id: int) -> HttpResponse:
    kiosk = get_object_or_404(Kiosk, pk=kiosk_id, merchant=request.merchant)
    merchant_services.kiosk_revoke(
        kiosk_id=kiosk.pk, merchant_id=request.merchant.pk, revoked_by_id=request.user.pk
    )
    messages.success(
        request, _("Kiosk “%(name)s” revoked: its device is signed out.") % {"name": kiosk.name}
    )
    return redirect("merchant:kiosks")


@merchant_view(manage=True)
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    context = {"form": form, "keys": ApiKey.objects.filter(merchant=request.merchant)}
    if request.method == "POST" and form.is_valid() and not first_time(request, form):
        return _already_done(
            _(
                "This key was already created, and its secret shown once. If you did not copy "
                "it, revoke the key and create another."
            ),
            "merchant:api-keys",
            request=request,
        )
    if request.method == "POST" and form.is_valid():
        key, secret = merchant_services.api_key_create(
            merchant_id=request.merchant.pk,
            name=form.cleaned_data["name"],
            created_by_id=request.user.pk,
        )
        context.update(new_key=key, secret=secret, form=ApiKeyForm())
        return _secret_page(request, "merchant/api_keys.html", context)
    return render(request, "merchant/api_keys.html", context)


@require_POST
@merchant_view(manage=True)
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=key_id, merchant=request.merchant)
    merchant_services.api_key_revoke(
        api_key_id=key.pk, merchant_id=request.merchant.pk, revoked_by_id=request.user.pk
    )
    messages.success(request, _("API key %(prefix)s… revoked.") % {"prefix": key.prefix})
    return redirect("merchant:api-keys")


@merchant_view(manage=True)
def webhook_endpoints(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    context = {"form": form, "endpoints": WebhookEndpoint.objects.filter(merchant=request.merchant)}
    if request.method == "POST" and form.is_valid() and not first_time(request, form):
        return _already_done(
            _("This endpoint was already added, and its signing secret shown once."),
            "merchant:webhooks",
            request=request,
        )
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = merchant_services.webhook_endpoint_create(
                merchant_id=request.merchant.pk,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
                created_by_id=request.user.pk,
            )
        except InvalidSetting as exc:
            form.add_error("url", as_sentence(exc.message))
        else:
            context.update(new_endpoint=endpoint, form=WebhookForm())
            return _secret_page(request, "merchant/webhooks.html", context)
    return render(request, "merchant/webhooks.html", context)


@merchant_view(manage=True)
def webhook_endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, merchant=request.merchant)
    deliveries = endpoint.deliveries.all()[:100]
    return render(
        request, "merchant/webhook_detail.html", {"endpoint": endpoint, "deliveries": deliveries}
    )


@require_POST
@merchant_view(manage=True)
def webhook_endpoint_disable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, merchant=request.merchant)
    merchant_services.webhook_endpoint_disable(
        endpoint_id=endpoint.pk, merchant_id=request.merchant.pk, disabled_by_id=request.user.pk
    )
    messages.success(request, _("Endpoint %(url)s disabled.") % {"url": endpoint.url})
    return redirect("merchant:webhooks")


@require_POST
@merchant_view(manage=True)
def webhook_resend(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(
        WebhookDelivery, pk=delivery_id, endpoint__merchant=request.merchant
    )
    try:
        webhooks.resend(delivery_id=delivery.pk, merchant_id=request.merchant.pk)
    except PaymentError as exc:
        messages.error(request, as_sentence(exc.message))
    else:
        messages.success(
            request, _("“%(event)s” queued again.") % {"event": event_label(delivery.event_type)}
        )
    return redirect("merchant:webhook", endpoint_id=delivery.endpoint_id)


@merchant_view(manage=True)
def checkout_settings(request: HttpRequest) -> HttpResponse:
    """The hosts online payments may send the shopper back to (merchants/return_urls.py)."""
    form = CheckoutSettingsForm(
        request.POST or None, initial={"return_hosts": request.merchant.return_hosts}
    )
    if request.method == "POST" and form.is_valid():
        merchant_services.merchant_return_hosts_set(
            merchant_id=request.merchant.pk,
            hosts=form.cleaned_data["return_hosts"],
            changed_by_id=request.user.pk,
        )
        messages.success(request, _("Checkout settings saved."))
        return redirect("merchant:checkout-settings")
    return render(request, "merchant/checkout_settings.html", {"form": form})
