from __future__ import annotations

from datetime import date

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from merchants.models import WEBHOOK_EVENT_TYPES
from merchants.return_urls import parse_hosts
from payments.labels import PAYMENT_STATUS, WEBHOOK_EVENT
from payments.merchant.once import SentOnceForm
from payments.models import Payment
from smilepay import money


class PaymentFilterForm(forms.Form):
    q = forms.CharField(
        required=False, label=_("Search"), help_text=_("id, description or customer email")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any status")), *PAYMENT_STATUS.items()]
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("any channel")), *Payment.Channel.choices],
    )
    kiosk = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    date_from = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    # Dates far out would overflow the search's "to + 1 day" and the time zone shift.
    EARLIEST = date(1970, 1, 1)
    LATEST = date(9998, 12, 31)

    def _in_range(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not self.EARLIEST <= value <= self.LATEST:
            raise forms.ValidationError(
                _("Pick a date between %(earliest)s and %(latest)s.")
                % {"earliest": date_format(self.EARLIEST), "latest": date_format(self.LATEST)}
            )
        return value

    def clean_date_from(self) -> date | None:
        return self._in_range("date_from")

    def clean_date_to(self) -> date | None:
        return self._in_range("date_to")

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("This is before the “From” date."))
        return data


class RefundForm(forms.Form):
    """Step 1: the amount as typed, in the payment's currency; checked, then shown back."""

    amount = forms.CharField(
        max_length=32,
        label=_("Amount"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(required=False, max_length=200, label=_("Reason"))
    expected_refunded_minor = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, payment: Payment, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.payment = payment
        # Filled with all that is left: a full refund (the usual one) is then one review.
        everything = money.format_amount(payment.refundable_minor, payment.currency)
        self.fields["amount"].widget.attrs["placeholder"] = everything
        self.fields["amount"].initial = everything

    def clean_amount(self) -> int:
        currency = self.payment.currency
        try:
            amount_minor = money.parse_amount(self.cleaned_data["amount"], currency)
        except money.AmountError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if amount_minor <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."))
        refundable = self.payment.refundable_minor
        if amount_minor > refundable:
            raise forms.ValidationError(
                _("At most %(amount)s can still be refunded.")
                % {"amount": money.format_money(refundable, currency)}
            )
        return amount_minor


class RefundConfirmForm(forms.Form):
    """Step 2: the amount the merchant saw and confirmed, and a one-time key for it."""

    amount_minor = forms.IntegerField(min_value=1, max_value=money.LARGEST_MINOR)
    reason = forms.CharField(required=False, max_length=200)
    expected_refunded_minor = forms.IntegerField()
    refund_key = forms.CharField(max_length=64)


class KioskForm(SentOnceForm):
    name = forms.CharField(max_length=100, label=_("Name"))
    location = forms.CharField(max_length=200, required=False, label=_("Location"))
    require_phone_digits = forms.BooleanField(
        required=False, label=_("Ask customers for the last 4 phone digits")
    )


class ApiKeyForm(SentOnceForm):
    name = forms.CharField(max_length=100, initial=_("Shop backend"), label=_("Name"))


class WebhookForm(SentOnceForm):
    url = forms.URLField(max_length=500, label=_("Endpoint URL"), assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        required=False,
        label=_("Events"),
        choices=[(t, WEBHOOK_EVENT.get(t, t)) for t in WEBHOOK_EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all events."),
    )


class CheckoutSettingsForm(forms.Form):
    return_hosts = forms.CharField(
        required=False,
        label=_("Return hosts"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "shop.example.com"}),
        help_text=_(
            "Host names of your shop, one per line. An online payment's return_url must be "
            "an https address on one of them; SmilePay refuses any other."
        ),
    )

    def clean_return_hosts(self) -> list[str]:
        return parse_hosts(self.cleaned_data["return_hosts"])
