"""Websockets speak the page's language: what a consumer sends (amounts, words) is in the
language the visitor's HTTP requests get, chosen the same way as LocaleMiddleware does
(the switcher's cookie, else Accept-Language, else LANGUAGE_CODE), for the connection's
whole life. Channels runs no Django middleware, so this wraps the websocket router."""

from __future__ import annotations

from types import SimpleNamespace

from django.utils import translation


def language_of_scope(scope: dict, *, cookies: dict[str, str] | None = None) -> str:
    """The language for a connection; `cookies` where no CookieMiddleware filled the
    scope's (plain HTTP, before Django)."""
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }
    request = SimpleNamespace(
        COOKIES=cookies if cookies is not None else scope.get("cookies") or {},
        META={"HTTP_ACCEPT_LANGUAGE": headers.get("accept-language", "")},
        path_info=scope.get("path", "/"),
    )
    return translation.get_language_from_request(request)


class WebsocketLocaleMiddleware:
    """Inside channels' CookieMiddleware (AuthMiddlewareStack), which fills scope["cookies"]."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        # Each connection is a task of its own: the activation stays with it (and with the
        # threads database_sync_to_async runs it in, which copy its context).
        with translation.override(language_of_scope(scope)):
            return await self.inner(scope, receive, send)
