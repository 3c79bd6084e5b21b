from __future__ import annotations

from django import forms

from payments.labels import PAYMENT_STATUS
from payments.models import Payment
from payments.models.webhooks import WEBHOOK_EVENT_TYPES


class PaymentFilterForm(forms.Form):
    q = forms.CharField(
        required=False, label="Search", help_text="id, description or customer email"
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "any status"), *PAYMENT_STATUS.items()]
    )
    channel = forms.ChoiceField(
        required=False, choices=[("", "any channel"), *Payment.Channel.choices]
    )
    kiosk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )


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
