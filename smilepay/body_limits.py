"""Request bodies are capped, and uploads authenticated, before a byte of the body is read.

Django's ASGI handler reads the whole body into a SpooledTemporaryFile before any
middleware or view runs, so a Django middleware would be too late: this ASGI layer wraps
the Django application instead (smilepay/asgi.py).

* Every HTTP request has a body cap: REQUEST_MAX_BODY_BYTES, or the cap of its upload
  route below, and never more than FILE_UPLOAD_MAX_MEMORY_SIZE, so that Django's spool
  never rolls over to a file on disk.
* A Content-Length above the cap is answered 413 at once, body unread.
* A body that streams past the cap (chunked, or longer than it said) is cut off there:
  413, and Django sees a disconnect and stops.
* An upload route first checks who is sending, from the headers alone: the kiosk's device
  cookie or the customer's session. A stranger gets 401 before the body is read. (The
  view still authenticates fully; this only stops strangers from making us read.)

Refusals carry `Connection: close`, since the rest of the body is never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.enrollment import MAX_IMAGE_BYTES
from kiosk.devices import DEVICE_COOKIE
from merchants.selectors import kiosk_for_device
from smilepay.frames import burst_body_cap
from smilepay.ws_locale import language_of_scope

Scope = dict
Message = dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

KIOSK = "kiosk"
CUSTOMER = "customer"


@dataclass(frozen=True)
class UploadRoute:
    pattern: re.Pattern[str]
    sender: str  # KIOSK or CUSTOMER
    cap: Callable[[], int]


def _burst_cap() -> int:
    return burst_body_cap()


def _enrollment_cap() -> int:
    return MAX_IMAGE_BYTES


UPLOAD_ROUTES = (
    UploadRoute(re.compile(r"/kiosk/api/capture/?"), KIOSK, _burst_cap),
    UploadRoute(re.compile(r"/me/payments/[0-9]+/confirm/face/?"), CUSTOMER, _burst_cap),
    UploadRoute(
        re.compile(r"/me/face/enroll/(check|capture|self-check)/?"), CUSTOMER, _enrollment_cap
    ),
)


def upload_route(path: str) -> UploadRoute | None:
    return next((r for r in UPLOAD_ROUTES if r.pattern.fullmatch(path)), None)


def body_cap(path: str) -> int:
    """The most bytes a request to `path` may send (see the module docstring)."""
    route = upload_route(path)
    cap = route.cap() if route else settings.REQUEST_MAX_BODY_BYTES
    return min(cap, settings.FILE_UPLOAD_MAX_MEMORY_SIZE)


def _header(scope: Scope, name: bytes) -> list[bytes]:
    return [value for key, value in scope.get("headers", []) if key.lower() == name]


def _content_length(scope: Scope) -> int | None:
    """The declared length; -1 when it is not a number (the server should have said 400)."""
    values = _header(scope, b"content-length")
    if not values:
        return None
    try:
        return max(int(v.decode("latin-1").strip()) for v in values)
    except ValueError:
        return -1


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for value in _header(scope, b"cookie"):
        try:
            jar.load(value.decode("latin-1"))
        except Exception:  # noqa: S112 - a garbled cookie header authenticates nobody
            continue
    return {key: morsel.value for key, morsel in jar.items()}


def _kiosk_known(token: str) -> bool:
    return kiosk_for_device(device_token=token) is not None


def _customer_signed_in(session_key: str) -> bool:
    from importlib import import_module

    from django.contrib.auth import SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return bool(store.get(SESSION_KEY))


async def sender_known(route: UploadRoute, scope: Scope) -> bool:
    """Whether the request names a paired kiosk or a signed-in customer (headers only)."""
    cookies = _cookies(scope)
    if route.sender == KIOSK:
        token = cookies.get(DEVICE_COOKIE, "")
        return bool(token) and await database_sync_to_async(_kiosk_known)(token)
    session_key = cookies.get(settings.SESSION_COOKIE_NAME, "")
    # database_sync_to_async: stale or broken connections are closed around the query.
    return bool(session_key) and await database_sync_to_async(_customer_signed_in)(session_key)


async def refuse(
    send: Send, scope: Scope, status: int, code: str, message: Callable[[], str]
) -> None:
    """Answer `status` with `message()`, said in the visitor's language: Django's
    LocaleMiddleware has not run yet, so it is chosen the same way here (the switcher's
    cookie, else Accept-Language), and only for a refusal."""
    with translation.override(language_of_scope(scope, cookies=_cookies(scope))):
        text = str(message())
    body = json.dumps(
        {"error": {"type": "invalid_request_error", "code": code, "message": text}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _too_large(cap: int) -> Callable[[], str]:
    return lambda: _("The request is too large: at most %(kb)s KB.") % {"kb": max(1, cap // 1024)}


class BodyLimitMiddleware:
    """ASGI middleware around the Django application (see the module docstring)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        cap = body_cap(path)
        declared = _content_length(scope)
        if declared is not None and declared < 0:
            await refuse(
                send, scope, 400, "bad_length", lambda: _("The Content-Length is not a number.")
            )
            return
        if declared is not None and declared > cap:
            await refuse(send, scope, 413, "too_large", _too_large(cap))
            return
        route = upload_route(path)
        if (
            route is not None
            and scope.get("method") == "POST"
            and not await sender_known(route, scope)
        ):
            message = (
                (lambda: _("This device is not paired with a kiosk."))
                if route.sender == KIOSK
                else (lambda: _("Sign in first."))
            )
            await refuse(send, scope, 401, "not_authenticated", message)
            return
        await self.app(scope, *_capped(scope, receive, send, cap))


def _capped(scope: Scope, receive: Receive, send: Send, cap: int) -> tuple[Receive, Send]:
    """receive/send for the app: past `cap` body bytes, answer 413 and report a disconnect."""
    state = {"read": 0, "started": False, "refused": False}

    async def capped_receive() -> Message:
        if state["refused"]:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            state["read"] += len(message.get("body", b""))
            if state["read"] > cap:
                state["refused"] = True
                if not state["started"]:
                    await refuse(send, scope, 413, "too_large", _too_large(cap))
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(message: Message) -> None:
        if state["refused"]:
            return  # the 413 is the answer; the app was told the client left
        state["started"] = True
        await send(message)

    return capped_receive, guarded_send
