from django import template

from payments.events import format_money

register = template.Library()


@register.filter
def money(amount_minor, currency: str = "") -> str:
    """{{ payment.amount_minor|money:payment.currency }} -> "4.50 USD"."""
    if amount_minor is None:
        return ""
    return format_money(int(amount_minor), currency).strip()
