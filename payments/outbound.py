"""Requests that SmilePay sends to addresses a merchant chose (webhooks).

A merchant could point a webhook at the operator's own network (a database, a cloud
metadata service) and read the answers from the delivery log. In production
(`WEBHOOK_ALLOW_PRIVATE_TARGETS` false, the default under HTTPS=true) every address the
host resolves to must be public, checked when the endpoint is saved and again before
each delivery (DNS can change); redirects are never followed, so a public endpoint
cannot bounce a delivery inward. A host that resolves differently between the check and
the connection (DNS rebinding) is not covered: put the workers behind an egress proxy
for that.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.request
from urllib.parse import urlparse

from django.conf import settings


class ForbiddenTarget(ValueError):
    """The URL points at an address webhooks may not reach."""


def check_target(url: str) -> None:
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return
    host = urlparse(url).hostname
    if not host:
        raise ForbiddenTarget("the URL has no host")
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise ForbiddenTarget(f"{host} does not resolve") from exc
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if not address.is_global:
            raise ForbiddenTarget(f"{host} resolves to a non-public address ({address})")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirects)


def post(request: urllib.request.Request, *, timeout: float):
    """Send after checking the target again; 3xx answers are errors, not redirects."""
    check_target(request.full_url)
    return _opener.open(request, timeout=timeout)
