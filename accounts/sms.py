"""Pluggable SMS delivery. SMS_BACKEND names a class with `send(*, to: str, body: str)`."""

from __future__ import annotations

import fcntl
import logging
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> None: ...


# One-time codes are secrets: the whole message only at DEBUG (settings.py turns that on
# for this logger on a laptop, HTTPS=false), never at INFO.
outbox_logger = logging.getLogger("smilepay.outbox")


def masked_phone(number: str) -> str:
    return f"{number[:3]}…{number[-2:]}" if len(number) > 6 else "…"


class ConsoleSmsBackend:
    """Logs messages: the embedded default, for a laptop. Refused with HTTPS=true unless
    ALLOW_CONSOLE_MESSAGES=true (settings.py)."""

    def send(self, *, to: str, body: str) -> None:
        outbox_logger.info("sms to %s queued (%d characters)", masked_phone(to), len(body))
        outbox_logger.debug("[sms to %s] %s", to, body)


class FileSmsBackend:
    """Appends messages to SMS_FILE_PATH, one line each: for tests and demos across processes."""

    def send(self, *, to: str, body: str) -> None:
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(f"{timezone.now().isoformat()}\t{to}\t{body}\n")


@cache
def _backend(dotted_path: str) -> SmsBackend:
    return import_string(dotted_path)()


def send_sms(*, to: str, body: str) -> None:
    _backend(settings.SMS_BACKEND).send(to=to, body=body)
