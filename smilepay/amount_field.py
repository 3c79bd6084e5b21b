"""A money amount typed the reader's way ("12,50" in French, "12.50" in English).

A `type=number` input would not do: a browser in one language drops or misreads the
other's decimal mark (a French "1,50" reached the server as 150). So the field is text
with a decimal keypad, read by `smilepay.money.parse_amount` in the page's language, and
cleans to minor units of its currency."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

from smilepay import money


class AmountField(forms.Field):
    widget = forms.TextInput

    def __init__(self, *, currency: str | None = None, **kwargs) -> None:
        self.currency = currency  # None: the deployment's DEFAULT_CURRENCY, read when used
        super().__init__(**kwargs)

    @property
    def currency_code(self) -> str:
        return self.currency or settings.DEFAULT_CURRENCY

    def widget_attrs(self, widget: forms.Widget) -> dict:
        return {
            **super().widget_attrs(widget),
            "inputmode": "decimal",
            "autocomplete": "off",
        }

    def prepare_value(self, value):
        """Minor units (the initial value) shown as the language writes the amount."""
        if isinstance(value, int) and not isinstance(value, bool):
            return money.format_amount(value, self.currency_code)
        return value

    def to_python(self, value) -> int | None:
        text = (value or "").strip() if isinstance(value, str) else value
        if text in self.empty_values:
            return None
        if isinstance(text, int) and not isinstance(text, bool):
            return text
        try:
            amount = money.parse_amount(str(text), self.currency_code)
        except money.AmountError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc
        if amount > money.LARGEST_MINOR:  # past what the database's integers hold
            raise forms.ValidationError(_("That amount is too large."), code="too_large")
        return amount
