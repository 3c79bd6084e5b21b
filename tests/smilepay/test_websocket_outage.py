"""With the channel layer's Redis unreachable, a socket is accepted and closed with 1013
"Try Again Later" (the pages back off), and the outage is logged in a line."""

from __future__ import annotations

import asyncio
import logging

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator

from smilepay.asgi import application
from smilepay.websocket_json import TRY_AGAIN_LATER
from tests.services import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable_channel_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{free_port()}/0"]},  # nothing listens
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def test_a_socket_is_told_to_try_again_later_when_the_channel_layer_is_down(
    unreachable_channel_layer, caplog
):
    async def scenario():
        socket = WebsocketCommunicator(
            application,
            "/ws/health/",
            headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
        )
        connected, _ = await socket.connect(timeout=10)
        closed = await socket.receive_output(timeout=10)
        return connected, closed

    with caplog.at_level(logging.ERROR, logger="smilepay.outages"):
        connected, closed = asyncio.run(scenario())
    assert connected  # accepted first, so that the page can read the code
    assert closed == {"type": "websocket.close", "code": TRY_AGAIN_LATER}
    assert "a service is down: ConnectionError" in caplog.text
