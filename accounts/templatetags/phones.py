"""{{ user.phone_e164|phone }}: a stored number as people read it."""

from django import template

from accounts.phones import display_phone

register = template.Library()
register.filter("phone", display_phone)
