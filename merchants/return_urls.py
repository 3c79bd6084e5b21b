"""Where SmilePay may send a shopper back after an online payment: the merchant's own
registered hosts only, so a payment link cannot be turned into an open redirect.

A merchant registers host names (merchant site → Checkout settings, or the admin). A
return_url is accepted when it is https on one of those hosts, with no user name or
password in it; plain http only for a loopback host while not in production
(HTTPS=false), for a shop running on the developer's machine.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# A DNS name (letters, digits, hyphens, dots; IDNs in their xn-- form) or an IP literal.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_HOSTS = 20


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    labels = host.split(".")
    return len(host) <= 253 and all(_LABEL.match(label) for label in labels)


def parse_hosts(text: str) -> list[str]:
    """The host names in `text` (one per line, or separated by commas or spaces), checked
    and lower-cased; raises ValidationError naming the first bad one."""
    hosts: list[str] = []
    for raw in re.split(r"[\s,]+", (text or "").strip()):
        if not raw:
            continue
        host = raw.lower().rstrip(".")
        if ":" in host:  # an IPv6 literal, or a port / scheme that does not belong here
            try:
                host = str(ipaddress.IPv6Address(host.strip("[]")))
            except ValueError:
                host = "/"
        if "/" in host or "@" in host:
            raise ValidationError(
                _("“%(host)s” is not a host name: give the name only, like shop.example.com."),
                params={"host": raw},
            )
        try:
            host = host.encode("idna").decode("ascii") if not host.isascii() else host
        except UnicodeError as exc:
            raise ValidationError(
                _("“%(host)s” is not a valid host name."), params={"host": raw}
            ) from exc
        if not _valid_host(host):
            raise ValidationError(_("“%(host)s” is not a valid host name."), params={"host": raw})
        if host not in hosts:
            hosts.append(host)
    if len(hosts) > MAX_HOSTS:
        raise ValidationError(_("Register at most %(n)d hosts."), params={"n": MAX_HOSTS})
    return hosts


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def return_url_problem(url: str, *, registered: list[str]) -> str | None:
    """Why `url` may not be a return URL for a merchant with these hosts, or None."""
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in url):
        return _("return_url must not contain spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return _("return_url is not a valid URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return _("return_url must not contain a user name or password")
    dev_http = parts.scheme == "http" and _is_loopback(host) and not settings.HTTPS
    if parts.scheme != "https" and not dev_http:
        return _("return_url must be an https URL")
    if not host or host not in registered:
        return _(
            "return_url must be on a host registered for your account "
            "(merchant site, Checkout settings)"
        )
    return None
