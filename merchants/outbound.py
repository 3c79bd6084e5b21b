"""Webhook requests: to a URL a merchant chose, so only to public addresses.

The checks are smilepay/outbound.py's: every resolved address public (is_global and
the IPv4 inside IPv6 wrappers), checked when the endpoint is saved and again at each
delivery, the connection pinned to the checked address (no DNS rebinding), redirects
never followed. `WEBHOOK_ALLOW_PRIVATE_TARGETS=true` is the explicit opt-in for local
receivers in development and tests.
"""

from __future__ import annotations

from django.conf import settings

from smilepay.outbound import ForbiddenTarget, Target, pinned_session, resolve

__all__ = ["ForbiddenTarget", "check_target", "post"]


def _schemes() -> set[str]:
    return {"https"} if settings.HTTPS else {"https", "http"}


def check_target(url: str) -> Target:
    return resolve(url, schemes=_schemes(), allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """Check the target again, send to the checked address, return the HTTP status
    (a 3xx is returned as it is, never followed). Raises ForbiddenTarget or
    requests.RequestException."""
    target = check_target(url)
    # `timeout` bounds the whole request, not only each read (a slow drip never ends).
    with pinned_session(target, deadline=timeout) as session:
        return session.post(url, data=body, headers=headers, timeout=timeout).status_code
