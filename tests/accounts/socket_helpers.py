"""The customer websocket as a signed-in browser opens it: through the real ASGI stack
(origin check, session cookie, auth middleware)."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from smilepay.asgi import application


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def customer_socket(client: Client, *, origin: str = "http://127.0.0.1") -> WebsocketCommunicator:
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    headers = [
        (b"origin", origin.encode()),
        (b"host", b"127.0.0.1"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]
    return WebsocketCommunicator(application, "/ws/customer/", headers=headers)
