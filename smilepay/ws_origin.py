"""Websocket origin check: the full origin (scheme, host and port), not just the host.

Channels' AllowedHostsOriginValidator compares only the host name, so a page on any
port of an allowed host (another service on 127.0.0.1, say) could open a customer's or
a kiosk's socket with their cookies. Here an origin is accepted when it is exactly
SITE_URL's origin, one of CSRF_TRUSTED_ORIGINS, or the socket's own origin: the scheme
the page must have used (https under HTTPS=true or for wss) and the Host the socket
was opened on, itself checked against ALLOWED_HOSTS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int] | None:
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host.lower().strip("[]"), port or DEFAULT_PORTS[scheme]


def _parse(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        return _origin(parts.scheme, parts.hostname or "", parts.port)
    except ValueError:
        return None


def _same_origin(scope: dict, host_header: str) -> tuple[str, str, int] | None:
    domain, port = split_domain_port(host_header)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if settings.HTTPS or scope.get("scheme") == "wss" else "http"
    try:
        return _origin(scheme, domain, int(port) if port else None)
    except ValueError:
        return None


def origin_allowed(scope: dict) -> bool:
    headers = {name.lower(): value for name, value in scope.get("headers", [])}
    origin = _parse(headers.get(b"origin", b"").decode("latin1"))
    if origin is None:
        return False
    allowed = {_parse(settings.SITE_URL)}
    allowed.update(_parse(url) for url in settings.CSRF_TRUSTED_ORIGINS if "*" not in url)
    allowed.add(_same_origin(scope, headers.get(b"host", b"").decode("latin1")))
    return origin in allowed - {None}


class FullOriginValidator:
    """ASGI middleware: refuses a websocket whose Origin is not allowed (see above)."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
