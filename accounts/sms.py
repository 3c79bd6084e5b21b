"""Pluggable SMS delivery. SMS_BACKEND names a class with `send(*, to: str, body: str)`."""

from __future__ import annotations

import fcntl
import sys
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> None: ...


class ConsoleSmsBackend:
    """Prints messages: the embedded default, for a laptop."""

    def send(self, *, to: str, body: str) -> None:
        sys.stdout.write(f"[sms to {to}] {body}\n")
        sys.stdout.flush()


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
