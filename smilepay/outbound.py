"""Requests SmilePay sends to addresses somebody else chose: webhook URLs (a merchant)
and Web Push endpoints (a customer's browser).

Either could point at the operator's own network (a database, a cloud metadata service,
a loopback admin port) and use SmilePay to reach it. So:

* every address the host name resolves to must be public (`is_public`: `is_global`,
  plus the IPv4 address embedded in IPv4-mapped, NAT64 and 6to4 IPv6 addresses, which
  `is_global` alone lets through, and no multicast);
* the check runs again right before each request, and the connection goes to the very
  address that was checked (`pinned_session`), never to a second DNS answer: a host
  that answers "public" to the check and "127.0.0.1" to the connection (DNS rebinding)
  gets nowhere;
* redirects are never followed, so a public endpoint cannot bounce a request inward;
* a request ends within its deadline, and only the answer's status and headers are
  read: a receiver that answers a byte at a time, or with a huge or gzip-bombed body,
  cannot hold or swell the worker that serves everyone else.

Private targets are allowed only where a setting opts in explicitly, for development
and tests with local receivers (`WEBHOOK_ALLOW_PRIVATE_TARGETS`,
`WEBPUSH_ALLOW_PRIVATE_ENDPOINTS`); never in production.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import connection as urllib3_connection

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges Python's is_global still calls global on some versions, or that are not
# unicast destinations a webhook may have: IETF protocol assignments (192.0.0.8 and
# friends), local-use NAT64 (RFC 8215), Teredo (embeds an address of its own), and the
# IPv6 forms that carry an IPv4 address without is_global looking inside: deprecated
# IPv4-compatible (::a.b.c.d) and IPv4-translated (::ffff:0:a.b.c.d, RFC 2765).
_NEVER = [
    ipaddress.ip_network(net)
    for net in ("192.0.0.0/24", "64:ff9b:1::/48", "2001::/32", "::/96", "::ffff:0:0:0/96")
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class ForbiddenTarget(ValueError):
    """The URL points at an address SmilePay may not send to."""


def is_public(address: Address) -> bool:
    """True for a globally routable unicast address, looking inside IPv6 wrappers."""
    if address.is_multicast or not address.is_global:
        return False
    if any(address.version == net.version and address in net for net in _NEVER):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    return True


@dataclass(frozen=True)
class Target:
    """A URL and the one address it will be sent to."""

    url: str
    host: str
    port: int
    address: str | None  # None: private targets allowed (development), nothing to pin


def resolve(url: str, *, schemes: set[str], allow_private: bool) -> Target:
    """Check the URL's scheme and every address its host resolves to; pick one to pin."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = " / ".join(sorted(schemes))
        raise ForbiddenTarget(_("the URL must use %(schemes)s") % {"schemes": allowed})
    if parts.username is not None or parts.password is not None:
        raise ForbiddenTarget(_("the URL must not contain a user name or password"))
    host = parts.hostname
    if not host:
        raise ForbiddenTarget(_("the URL has no host"))
    try:
        given = parts.port
    except ValueError as exc:
        raise ForbiddenTarget(_("the URL’s port is not valid")) from exc
    if given == 0:  # not "no port": nothing listens there, and it would be sent to 443
        raise ForbiddenTarget(_("the URL’s port is not valid"))
    port = given if given is not None else (443 if scheme == "https" else 80)
    if allow_private:
        return Target(url=url, host=host, port=port, address=None)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise ForbiddenTarget(_("%(host)s does not resolve") % {"host": host}) from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise ForbiddenTarget(_("%(host)s does not resolve") % {"host": host})
    for address in addresses:
        if not is_public(address):
            # Which address is not said: a merchant must not map the operator's network.
            raise ForbiddenTarget(_("%(host)s is not a public address") % {"host": host})
    return Target(url=url, host=host, port=port, address=str(addresses[0]))


def _bounded_connection(
    base: type[HTTPConnection], address: str | None, opened: list[socket.socket]
) -> type[HTTPConnection]:
    class Bounded(base):
        # Connect to the checked address; `host` stays the name, for the Host header,
        # TLS SNI and certificate verification.
        def _new_conn(self):
            if address is None:  # private targets allowed: nothing was pinned
                return super()._new_conn()
            return urllib3_connection.create_connection(
                (address, self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )

        def connect(self) -> None:
            super().connect()
            opened.append(self.sock)  # (after TLS: the socket the answer is read from)

    return Bounded


class _BoundedAdapter(HTTPAdapter):
    def __init__(self, address: str | None, opened: list[socket.socket]) -> None:
        self._address = address
        self._opened = opened
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = _bounded_connection(HTTPConnection, self._address, self._opened)
        https = _bounded_connection(HTTPSConnection, self._address, self._opened)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("BoundedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("BoundedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


class DeadlineExceeded(requests.Timeout):
    """The receiver did not answer in full within the request's deadline."""


class BoundedSession(requests.Session):
    """Sends only to the checked address, never follows a redirect, ignores the
    environment's proxies (a proxy would resolve the name anew), and ends every request
    within `deadline` seconds: a per-read timeout alone is reset by each byte of a slow
    drip. Only the answer's status and headers are read, never its body (SmilePay uses
    the status): a huge, endless or gzip-bombed body costs nothing."""

    def __init__(self, target: Target, *, deadline: float) -> None:
        super().__init__()
        self.trust_env = False
        self.deadline = deadline
        self._opened: list[socket.socket] = []
        adapter = _BoundedAdapter(target.address, self._opened)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, *args, **kwargs) -> requests.Response:
        kwargs.update(allow_redirects=False, stream=True)
        cut = threading.Event()
        timer = threading.Timer(self.deadline, self._cut, args=(cut,))
        timer.daemon = True
        timer.start()
        try:
            response = super().request(*args, **kwargs)
            response.close()
        except (requests.RequestException, OSError) as exc:
            if cut.is_set():
                raise DeadlineExceeded(f"no full answer within {self.deadline:g} s") from exc
            raise
        finally:
            timer.cancel()
        # Callers that read .content or .text (a library's error message) get nothing.
        response._content = b""
        response._content_consumed = True
        return response

    def _cut(self, cut: threading.Event) -> None:
        cut.set()
        for sock in list(self._opened):
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


def pinned_session(target: Target, *, deadline: float) -> BoundedSession:
    """A session for one request to `target` (see BoundedSession)."""
    return BoundedSession(target, deadline=deadline)
