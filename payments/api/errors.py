"""One error object for every failure: {"error": {"type", "code", "message", "param"}}."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from payments.errors import PaymentError
from smilepay.outages import RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self, status: int, type_: str, code: str, message: str, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.type, self.code, self.message, self.param = (
            status,
            type_,
            code,
            message,
            param,
        )


def error_body(type_: str, code: str, message: str, param: str | None = None) -> dict:
    return {"error": {"type": type_, "code": code, "message": message, "param": param}}


def _first_validation_error(detail, prefix: str = "") -> tuple[str | None, str]:
    if isinstance(detail, dict):
        for field, value in detail.items():
            name = None if field == "non_field_errors" else f"{prefix}{field}"
            param, message = _first_validation_error(value, f"{name}." if name else "")
            return param or name, message
    if isinstance(detail, list) and detail:
        return _first_validation_error(detail[0], prefix)
    return None, str(detail)


_DRF = [
    (exceptions.NotAuthenticated, "authentication_error", "authentication_required"),
    (exceptions.AuthenticationFailed, "authentication_error", "invalid_api_key"),
    (exceptions.PermissionDenied, "permission_error", "forbidden"),
    (exceptions.NotFound, "invalid_request_error", "resource_missing"),
    (exceptions.MethodNotAllowed, "invalid_request_error", "method_not_allowed"),
    (exceptions.UnsupportedMediaType, "invalid_request_error", "unsupported_media_type"),
    (exceptions.ParseError, "invalid_request_error", "malformed_body"),
    (exceptions.Throttled, "rate_limit_error", "rate_limited"),
]


def api_exception_handler(exc: Exception, context: dict | None = None) -> Response | None:
    """Turn a known exception into the error object; None for a bug (a 500)."""
    if isinstance(exc, ApiError):
        return Response(error_body(exc.type, exc.code, exc.message, exc.param), status=exc.status)
    if isinstance(exc, PaymentError):
        type_ = {
            400: "invalid_request_error",
            404: "invalid_request_error",
            422: "idempotency_error",
        }.get(exc.http_status, "payment_error")
        return Response(error_body(type_, exc.code, exc.message, exc.param), status=exc.http_status)
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        return Response(
            error_body("invalid_request_error", "resource_missing", _("no such object")), status=404
        )
    if isinstance(exc, exceptions.ValidationError):
        param, message = _first_validation_error(exc.detail)
        return Response(
            error_body("invalid_request_error", "parameter_invalid", message, param), status=400
        )
    for cls, type_, code in _DRF:
        if isinstance(exc, cls):
            response = Response(error_body(type_, code, str(exc.detail)), status=exc.status_code)
            if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
                response["WWW-Authenticate"] = 'Bearer realm="smilepay"'
            return response
    if isinstance(exc, exceptions.APIException):
        return Response(
            error_body("api_error", "api_error", str(exc.detail)), status=exc.status_code
        )
    return None


def server_error_response() -> Response:
    return Response(
        error_body("api_error", "internal_error", _("something went wrong on our side")),
        status=500,
    )


def outage_response() -> Response:
    response = Response(
        error_body("api_error", "service_unavailable", _("a service is down; try again shortly")),
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
