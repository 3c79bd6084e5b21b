"""The portal's wallet page: balance, "Add money" through a funding provider, history."""

from __future__ import annotations

import secrets

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
from smilepay.amount_field import AmountField

# What the form suggests adding: 20.00 in most currencies, ¥2,000 where there are no cents.
SUGGESTED_TOPUP_MINOR = {"JPY": 2000, "KRW": 20000}


class FundingForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Amount"))
    provider = forms.CharField(widget=forms.HiddenInput)
    # One-time: a second click of the same form finds the first funding, not a new one.
    form_token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = currency

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."))
        return amount


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    user_id = request.user.pk
    providers = funding.enabled_providers()
    provider = providers[0] if providers else None
    currency = settings.DEFAULT_CURRENCY
    form = FundingForm(
        request.POST or None,
        currency=currency,
        initial={
            "amount": SUGGESTED_TOPUP_MINOR.get(currency, 2000),
            "provider": provider.name if provider else "",
            "form_token": secrets.token_urlsafe(24),
        },
    )
    if request.method == "POST" and provider and form.is_valid():
        try:
            done = services.wallet_fund(
                user_id=user_id,
                amount_minor=form.cleaned_data["amount"],
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
            "currency": currency,
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
