"""Phone numbers: parsed once, stored in E.164, compared by their last four digits."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """Return the number in E.164 (`+15551234567`), or raise ValidationError."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="phone_empty")
    if text.startswith("00"):  # the international prefix of most of the world
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a valid phone number."), code="phone_invalid") from exc
    if not phonenumbers.is_valid_number(number):
        national_form = text.lstrip("( ").startswith("0")  # a trunk prefix: 06…, 07911…
        if not text.startswith("+") and (national_form or phonenumbers.is_possible_number(number)):
            # A number in another country's own form (06 12 34 56 78 in France, 07911
            # 123456 in the UK) would otherwise be read as one of PHONE_DEFAULT_REGION's.
            raise ValidationError(
                _("Enter the number with its country code, for example +33 6 12 34 56 78."),
                code="phone_needs_country",
            )
        raise ValidationError(_("Enter a valid phone number."), code="phone_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A stored number as people read it: +33612345678 -> "+33 6 12 34 56 78"."""
    try:
        number = phonenumbers.parse(e164 or "", None)
    except phonenumbers.NumberParseException:
        return e164 or ""
    readable = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return readable.replace(" ", "\u00a0")  # one number, one line on a narrow phone


def last4(e164: str) -> str:
    return e164[-4:] if e164 else ""
