"""Error pages: in the site's layout with a way home for people, JSON for JSON clients.

Wired as handler400/403/404/500 in smilepay/urls.py and as CSRF_FAILURE_VIEW. A request
is a JSON client's when it goes to an API (/api/, /kiosk/api/), to one of the portal's
JSON endpoints (the camera uploads, push subscriptions), sends JSON, or asks only for it.
"""

from __future__ import annotations

import re
import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from smilepay.outages import RETRY_AFTER_SECONDS, is_outage, log_outage

_JSON_PATHS = re.compile(
    r"/api/.*|/kiosk/api/.*|/me/face/enroll/.+|/me/notifications/(un)?subscribe/"
    r"|/me/payments/[^/]+/confirm/face/|/healthz"
)


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return bool(
        _JSON_PATHS.fullmatch(request.path)
        or request.content_type == "application/json"
        or ("application/json" in accept and "text/html" not in accept)
    )


def _json(status: int, code: str, message: str) -> JsonResponse:
    kind = "api_error" if status >= 500 else "invalid_request_error"
    return JsonResponse(
        {"error": {"type": kind, "code": code, "message": message, "param": None}},
        status=status,
    )


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(
        request, "error.html", {"status": status, "title": title, "text": text}, status=status
    )


def _bare_page(status: int, title: str, text: str) -> HttpResponse:
    # No request context: whatever failed (the database, Redis, a context processor) must
    # not fail the error page too.
    html = loader.render_to_string("error.html", {"status": status, "title": title, "text": text})
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    text = _("Something in that request did not make sense to us. Go back and try again.")
    if wants_json(request):
        return _json(400, "bad_request", text)
    return _page(request, 400, _("That request did not work"), text)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    text = _("You don't have access to this page with the account you are signed in with.")
    if wants_json(request):
        return _json(403, "forbidden", text)
    return _page(request, 403, _("This page is not for you"), text)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    text = _("There is nothing here. The link may be old, or the address mistyped.")
    if wants_json(request):
        return _json(404, "not_found", text)
    return _page(request, 404, _("Page not found"), text)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """A service the site needs is down (smilepay.outages)."""
    text = _("SmilePay is having trouble reaching one of its services. Try again in a moment.")
    if wants_json(request):
        response = _json(503, "service_unavailable", text)
    else:
        response = _bare_page(503, _("Back in a moment"), text)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception (sync requests): a service that is
    # down is told apart from a bug.
    exc = sys.exc_info()[1]
    if is_outage(exc):
        log_outage(exc)
        return service_unavailable(request)
    text = _("Something went wrong on our side. Please try again in a moment.")
    if wants_json(request):
        return _json(500, "internal_error", text)
    return _bare_page(500, _("Something went wrong"), text)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    text = _("This form had expired or came from another page. Reload the page and send it again.")
    if wants_json(request):
        return _json(403, "csrf_failed", text)
    return _page(request, 403, _("Please try that again"), text)
