"""Where a customer is sent when only a person can help."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _


def ask_for_help() -> str:
    """A sentence telling the customer whom to write to, in their language."""
    if settings.SUPPORT_EMAIL:
        return _("Write to %(email)s and we will help.") % {"email": settings.SUPPORT_EMAIL}
    return _("Ask the shop where you pay with SmilePay to put you in touch with its operator.")
