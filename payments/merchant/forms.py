from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import Payment
from payments.models.webhooks import WEBHOOK_EVENT_TYPES


class PaymentFilterForm(forms.Form):
    q = forms.CharField(
        required=False, label="Search", help_text="id, description or customer email"
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "any status"), *Payment.Status.choices]
    )
    channel = forms.ChoiceField(
        required=False, choices=[("", "any channel"), *Payment.Channel.choices]
    )
    kiosk = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    # Dates far out would overflow the search's "to + 1 day" and the time zone shift.
    EARLIEST = date(1970, 1, 1)
    LATEST = date(9998, 12, 31)

    def _in_range(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not self.EARLIEST <= value <= self.LATEST:
            raise forms.ValidationError(
                _("Pick a date between %(earliest)s and %(latest)s.")
                % {"earliest": self.EARLIEST.isoformat(), "latest": self.LATEST.isoformat()}
            )
        return value

    def clean_date_from(self) -> date | None:
        return self._in_range("date_from")

    def clean_date_to(self) -> date | None:
        return self._in_range("date_to")


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        required=False,
        min_value=0,
        decimal_places=2,
        help_text="Leave empty to refund what remains.",
    )
    reason = forms.CharField(required=False, max_length=200)
    expected_refunded_minor = forms.IntegerField(widget=forms.HiddenInput)


class KioskForm(forms.Form):
    name = forms.CharField(max_length=100)
    location = forms.CharField(max_length=200, required=False)
    require_phone_digits = forms.BooleanField(
        required=False, label="Ask customers for the last 4 phone digits"
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, initial="Backend")


class WebhookForm(forms.Form):
    url = forms.URLField(max_length=500, label="Endpoint URL", assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        required=False,
        choices=[(t, t) for t in WEBHOOK_EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: all events.",
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
        from payments.return_urls import parse_hosts

        return parse_hosts(self.cleaned_data["return_hosts"])
