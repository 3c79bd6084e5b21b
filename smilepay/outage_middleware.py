"""A view that fails because Redis or PostgreSQL is down answers 503 (smilepay.outages).

Sync and async views alike; what fails outside a view (another middleware) reaches
handler500, which tells an outage apart too."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

from smilepay.error_views import service_unavailable
from smilepay.outages import is_outage, log_outage


class OutageMiddleware(MiddlewareMixin):
    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        log_outage(exception)
        return service_unavailable(request)
