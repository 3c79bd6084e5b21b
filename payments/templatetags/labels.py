"""{{ payment.status|status_label }}, {{ payment.reason|reason_label }},
{{ attempt.outcome|outcome_label }}, {{ event.name|event_label }},
{% event_details event currency as details %}: human words for stored codes."""

from django import template

from payments import labels

register = template.Library()

register.filter("status_label", labels.status_label)
register.filter("customer_status_label", labels.customer_status_label)
register.filter("customer_reason_label", labels.customer_reason_label)
register.filter("reason_label", labels.reason_label)
register.filter("outcome_label", labels.outcome_label)
register.filter("event_label", labels.event_label)
register.filter("delivery_problem", labels.delivery_problem)


@register.simple_tag
def event_details(event, currency: str = "") -> str:
    return " · ".join(labels.event_details(event.data or {}, currency=currency))


@register.simple_tag
def attempt_sentence(attempt, customer_id: int) -> str:
    return labels.attempt_sentence(attempt, customer_id=customer_id)


@register.filter
def is_spoof(attempt) -> bool:
    return attempt.outcome in labels.SPOOF_OUTCOMES
