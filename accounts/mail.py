"""The console e-mail backend of the embedded default, without secrets in the log.

Django's console backend prints every message whole, password-reset links included: in
production that put live reset links in the logs. This one logs who and what subject at
INFO, and the body only at DEBUG (on for this logger on a laptop, HTTPS=false).
Refused with HTTPS=true unless ALLOW_CONSOLE_MESSAGES=true (settings.py).
"""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend

from accounts.sms import outbox_logger


def masked_address(address: str) -> str:
    name, _, domain = address.rpartition("@")
    return f"{name[:1]}…@{domain}" if name else "…"


class ConsoleEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            recipients = ", ".join(masked_address(r) for r in message.recipients())
            outbox_logger.info("e-mail to %s queued: %s", recipients, message.subject)
            outbox_logger.debug("[e-mail to %s]\n%s", message.recipients(), message.message())
        return len(email_messages)
