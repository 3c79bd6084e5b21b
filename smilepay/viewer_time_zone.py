"""Times on a page are written in the reader's time zone: a phone in Paris reads a
payment's deadline in Paris time, whatever zone the server runs in.

The browser says its zone once (static/js/site.js sets the `smilepay_tz` cookie from
`Intl.DateTimeFormat().resolvedOptions().timeZone`); this middleware activates it for
the request. An unknown or missing zone leaves the deployment's TIME_ZONE. Business
days (the daily limit, the merchant's daily figures) and stored or sent timestamps
stay on the deployment's zone, whoever is looking."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

COOKIE = "smilepay_tz"


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_named(name: str | None) -> zoneinfo.ZoneInfo | None:
    if not name or len(name) > 64 or name not in _known_zones():
        return None
    return zoneinfo.ZoneInfo(name)


class ViewerTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The page writes the name percent-encoded ("Europe%2FParis"); Django hands cookies
        # over as sent.
        zone = zone_named(unquote(request.COOKIES.get(COOKIE, "")))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
