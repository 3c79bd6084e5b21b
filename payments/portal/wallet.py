"""The portal's wallet page: balance, "Add money" through a funding provider, history."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments import funding, selectors, services
from payments.errors import PaymentError
from payments.models import WalletFunding
from payments.templatetags.money import money


class FundingForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    provider = forms.CharField(widget=forms.HiddenInput)
    # One-time: a second click of the same form finds the first funding, not a new one.
    form_token = forms.CharField(max_length=64, widget=forms.HiddenInput)


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    user_id = request.user.pk
    providers = funding.enabled_providers()
    provider = providers[0] if providers else None
    form = FundingForm(
        request.POST or None,
        initial={
            "amount": "20.00",
            "provider": provider.name if provider else "",
            "form_token": secrets.token_urlsafe(24),
        },
    )
    if request.method == "POST" and provider and form.is_valid():
        try:
            done = services.wallet_fund(
                user_id=user_id,
                amount_minor=int(form.cleaned_data["amount"] * 100),
                provider=form.cleaned_data["provider"],
                form_token=form.cleaned_data["form_token"],
            )
        except PaymentError as exc:
            form.add_error("amount", exc.message)
        else:
            _tell(request, done)
            return redirect("portal:wallet")
    return render(
        request,
        "payments/portal/wallet.html",
        {
            "section": "wallet",
            "wallets": selectors.wallet_balance(user_id=user_id),
            "form": form,
            "provider": provider,
            "currency": settings.DEFAULT_CURRENCY,
            "max_minor": settings.WALLET_FUNDING_MAX_MINOR,
            "left_today_minor": funding.funding_limits_left(user_id=user_id),
            "fundings": WalletFunding.objects.filter(user_id=user_id)[:10],
        },
    )


def _tell(request: HttpRequest, done: WalletFunding) -> None:
    amount = money(done.amount_minor, done.currency)
    if done.status == WalletFunding.Status.SUCCEEDED:
        messages.success(request, _("%(amount)s added to your wallet.") % {"amount": amount})
    elif done.status == WalletFunding.Status.FAILED:
        messages.error(
            request,
            _("%(amount)s could not be added: %(why)s")
            % {"amount": amount, "why": done.failure_message or _("the provider refused it.")},
        )
    else:
        messages.info(request, _("Adding %(amount)s: this takes a moment.") % {"amount": amount})
