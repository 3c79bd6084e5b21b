"""Idempotency-Key on every POST, stored in the database.

Same key and same body: the stored response, replayed. Same key, another body: 422.
Same key while the first request is still running: 409. The unique constraint on
(merchant, key) decides who runs the request; nobody waits on a lock.

The request's writes and its stored answer commit in ONE transaction, so "committed"
and "answered" cannot diverge: a request that fails before the commit leaves nothing
(the key is forgotten, a retry runs again); once committed, the stored answer is what
every retry gets, whatever fails afterwards (side effects are robust, see
payments/events.py). The services also get the key and the request's fingerprint, so
the database refuses a second payment or refund under one key even after the record
is pruned (IDEMPOTENCY_KEY_TTL_HOURS), and refuses a different request under it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from payments.api.errors import (
    ApiError,
    api_exception_handler,
    outage_response,
    server_error_response,
)
from payments.models import IdempotencyRecord
from smilepay.outages import is_outage, log_outage

logger = logging.getLogger(__name__)
HEADER = "Idempotency-Key"


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    try:
        # Semantically equal JSON (key order, spacing) is the same request.
        canonical = json.dumps(json.loads(body or b"{}"), sort_keys=True, separators=(",", ":"))
        payload = canonical.encode()
    except (ValueError, RecursionError):  # the parser refuses it with a 400 later
        payload = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + payload).hexdigest()


def _claim(*, merchant_id: int, key: str, request_hash: str, method: str, path: str):
    """Insert the record (we run the request) or return the existing one."""
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                merchant_id=merchant_id,
                key=key,
                request_hash=request_hash,
                method=method,
                path=path,
            )
            return None
    except IntegrityError:
        return IdempotencyRecord.objects.get(merchant_id=merchant_id, key=key)


def _take_over_if_abandoned(record: IdempotencyRecord) -> bool:
    """A request that crashed without finishing leaves a stale in-flight record."""
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)
    if record.created_at > cutoff:
        return False
    updated = IdempotencyRecord.objects.filter(
        pk=record.pk, completed_at__isnull=True, created_at=record.created_at
    ).update(created_at=timezone.now())
    return updated == 1


def idempotent(handler: Callable) -> Callable:
    @wraps(handler)
    def wrapper(view, request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            raise ApiError(
                400,
                "invalid_request_error",
                "idempotency_key_required",
                _("every POST needs an %(header)s header") % {"header": HEADER},
                HEADER,
            )
        if len(key) > 255:
            raise ApiError(
                400,
                "invalid_request_error",
                "idempotency_key_too_long",
                _("at most 255 characters"),
                HEADER,
            )
        merchant_id = request.auth.merchant_id
        request_hash = fingerprint(method=request.method, path=request.path, body=request.body)
        record = _claim(
            merchant_id=merchant_id,
            key=key,
            request_hash=request_hash,
            method=request.method,
            path=request.path,
        )
        if record is not None:
            if record.request_hash != request_hash:
                raise ApiError(
                    422,
                    "idempotency_error",
                    "idempotency_key_reused",
                    _("this %(header)s was used with another request") % {"header": HEADER},
                    HEADER,
                )
            if record.in_flight:
                if not _take_over_if_abandoned(record):
                    raise ApiError(
                        409,
                        "idempotency_error",
                        "idempotency_request_in_flight",
                        _("a request with this %(header)s is still being processed; retry later")
                        % {"header": HEADER},
                        HEADER,
                    )
            else:
                response = Response(record.response_body, status=record.response_status)
                response["Idempotent-Replayed"] = "true"
                return response
        request.idempotency_key, request.idempotency_fingerprint = key, request_hash
        records = IdempotencyRecord.objects.filter(merchant_id=merchant_id, key=key)
        try:
            with transaction.atomic():
                response = handler(view, request, *args, **kwargs)
                _store(records, response)
            return response
        except Exception as exc:
            stored = records.filter(completed_at__isnull=False).first()
            if stored is not None:
                # The write and its answer committed; what failed came after. The
                # committed answer stands.
                logger.exception("error after an idempotent API request committed")
                return Response(stored.response_body, status=stored.response_status)
            response = api_exception_handler(exc)
            if response is None:
                # Not an answer, and nothing committed: forget the key so the client's
                # retry runs again.
                records.delete()
                if is_outage(exc):  # a service is down, not a bug
                    log_outage(exc)
                    return outage_response()
                logger.exception("unexpected error in an idempotent API request")
                return server_error_response()
        _store(records, response)
        return response

    return wrapper


def _store(records, response: Response) -> None:
    body = json.loads(JSONRenderer().render(response.data) or b"null")
    records.update(
        response_status=response.status_code, response_body=body, completed_at=timezone.now()
    )
