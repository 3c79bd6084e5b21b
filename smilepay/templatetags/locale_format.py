"""Numbers in the active language: {{ rate|percent }} -> "87%" / "87 %";
{% zero_money %} -> nothing yet, in the default currency ("$0.00" / "0,00 $US")."""

from __future__ import annotations

from babel.numbers import format_percent
from django import template
from django.conf import settings
from django.utils.translation import get_language, to_locale

from smilepay.money import format_money

register = template.Library()


@register.filter
def percent(value) -> str:
    """A share (0.87) as a whole percentage, written as the language writes it."""
    if value in (None, ""):
        return ""
    return format_percent(float(value), locale=to_locale(get_language() or "en"))


@register.simple_tag
def zero_money() -> str:
    return format_money(0, settings.DEFAULT_CURRENCY)
