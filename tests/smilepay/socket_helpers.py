"""The anonymous /ws/health/ socket, opened in-process as a same-origin page would."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator

from smilepay.asgi import application

SAME_ORIGIN = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


def health_socket() -> WebsocketCommunicator:
    return WebsocketCommunicator(application, "/ws/health/", headers=SAME_ORIGIN)
