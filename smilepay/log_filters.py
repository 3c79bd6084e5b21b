"""Logging filters: no secrets in URLs of the access log, no tracebacks for expected 4xx."""

from __future__ import annotations

import logging
import re

# /accounts/reset/<uidb64>/<token>/: the token is a live password-reset credential.
_RESET_TOKEN = re.compile(r"(/accounts/reset/[^/\s]+/)(?!set-password/)[^/\s?]+")


def redact(text: str) -> str:
    return _RESET_TOKEN.sub(r"\1[redacted]", text)


class RedactSecretUrls(logging.Filter):
    """For uvicorn's access log (installed in smilepay/asgi.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


class NoTracebackForClientErrors(logging.Filter):
    """A 403 from PermissionDenied, a 400 from a SuspiciousOperation: Django logs them with
    the exception's traceback, which fills the log for what is the client's mistake. Keep
    the one-line warning; drop the traceback. Server errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
