"""With the channel layer's Redis unreachable, a socket is accepted and closed with 1013
"Try Again Later" (the pages back off), and the outage is logged in a line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import pytest
from channels.layers import InMemoryChannelLayer, channel_layers
from redis.exceptions import ConnectionError as RedisConnectionError

from smilepay.websocket_json import TRY_AGAIN_LATER
from tests.services import free_port
from tests.smilepay.socket_helpers import health_socket

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def channel_layer(settings, layer: dict) -> Iterator[None]:
    """`layer` as the default channel layer; channels caches the one built before."""
    settings.CHANNEL_LAYERS = {"default": layer}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def unreachable_channel_layer(settings):
    nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
    backend = "channels_redis.core.RedisChannelLayer"
    with channel_layer(settings, {"BACKEND": backend, "CONFIG": {"hosts": [nothing_listens]}}):
        yield


def test_a_socket_is_told_to_try_again_later_when_the_channel_layer_is_down(
    unreachable_channel_layer, caplog
):
    async def scenario():
        socket = health_socket()
        connected, _ = await socket.connect(timeout=10)
        closed = await socket.receive_output(timeout=10)
        return connected, closed

    with caplog.at_level(logging.ERROR, logger="smilepay.outages"):
        connected, closed = asyncio.run(scenario())
    assert connected  # accepted first, so that the page can read the code
    assert closed == {"type": "websocket.close", "code": TRY_AGAIN_LATER}
    assert "a service is down: ConnectionError" in caplog.text


class LayerHoldingOntoItsReceive(InMemoryChannelLayer):
    """Stand-in for channels_redis just after Redis came back: a stale pooled connection
    fails group_add, and the socket's pending receive does not let go of a cancel for a
    while (seen with a real restarted Redis: the handshake hung until the test's 90 s)."""

    HOLD_SECONDS = 5

    async def group_add(self, group: str, channel: str) -> None:
        raise RedisConnectionError("Connection closed by server.")

    async def receive(self, channel: str) -> dict:
        deadline = asyncio.get_running_loop().time() + self.HOLD_SECONDS
        while True:
            try:
                await asyncio.sleep(deadline - asyncio.get_running_loop().time())
                raise RedisConnectionError("Connection closed by server.")
            except asyncio.CancelledError:
                continue


@pytest.fixture
def layer_holding_onto_its_receive(settings):
    with channel_layer(
        settings, {"BACKEND": f"{__name__}.{LayerHoldingOntoItsReceive.__qualname__}"}
    ):
        yield


def test_the_page_hears_try_again_later_before_the_layer_lets_go(layer_holding_onto_its_receive):
    async def scenario():
        socket = health_socket()
        connected, _ = await socket.connect(timeout=LayerHoldingOntoItsReceive.HOLD_SECONDS / 2)
        closed = await socket.receive_output(timeout=1)
        await socket.wait(timeout=LayerHoldingOntoItsReceive.HOLD_SECONDS * 2)
        return connected, closed

    connected, closed = asyncio.run(scenario())
    assert connected
    assert closed == {"type": "websocket.close", "code": TRY_AGAIN_LATER}
