"""Reading a JSON request body safely: a malformed body is a clear 400, never a 500.

One reader for the project's plain Django JSON views (`read_json_object`) and one DRF
parser for the merchant API (`SafeJSONParser`). Both refuse what `json.loads` alone lets
through or turns into a server error: invalid UTF-8, nesting deep enough to raise
RecursionError, lone surrogates (PostgreSQL cannot store them), NaN and Infinity, and a
form or multipart body sent where JSON is expected.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deeper than any body the product sends (3 levels), far below Python's recursion limit.
MAX_DEPTH = 32


class BadJsonBody(ValueError):
    """The body is not a JSON document we accept; the message says why, for a person."""

    def __init__(self, message: str, *, code: str = "bad_json") -> None:
        super().__init__(message)
        self.code = code


def _refuse_constant(name: str) -> None:
    raise BadJsonBody(_("%(name)s is not a number JSON allows.") % {"name": name})


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: Python reads infinity, and would write it back
        raise BadJsonBody(_("%(number)s is too large a number.") % {"number": text[:40]})
    return value


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_structure(value: Any) -> None:
    """Depth and lone surrogates, walked without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadJsonBody(_("The JSON is nested too deeply."))
        if isinstance(item, str):
            # PostgreSQL text holds neither lone surrogates nor NUL characters.
            if "\x00" in item or _has_surrogate(item):
                raise BadJsonBody(_("The JSON holds text that is not valid Unicode."))
        elif isinstance(item, dict):
            for key, child in item.items():
                stack.append((key, depth))
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def parse_json_bytes(raw: bytes) -> Any:
    """The JSON value in `raw`, or BadJsonBody with a message a person understands."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJsonBody(_("The request body is not valid UTF-8.")) from exc
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise BadJsonBody(_("The JSON is nested too deeply.")) from exc
    except BadJsonBody:
        raise
    except ValueError as exc:  # JSONDecodeError, and integers too long to convert
        raise BadJsonBody(_("The request body is not valid JSON.")) from exc
    _check_structure(value)
    return value


def read_json_object(request: HttpRequest) -> dict:
    """The request's body as a JSON object ({} for an empty body)."""
    try:
        raw = request.body
    except RawPostDataException as exc:
        # A form or multipart body, already parsed (the CSRF check reads forms).
        raise BadJsonBody(
            _("Send a JSON body (Content-Type: application/json), not a form."),
            code="not_json",
        ) from exc
    if not raw.strip():
        return {}
    value = parse_json_bytes(raw)
    if not isinstance(value, dict):
        raise BadJsonBody(_("The request body must be a JSON object."))
    return value


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with the same refusals, as a 400 (ParseError)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if not raw.strip():
            return {}
        try:
            return parse_json_bytes(raw)
        except BadJsonBody as exc:
            raise ParseError(str(exc)) from exc
