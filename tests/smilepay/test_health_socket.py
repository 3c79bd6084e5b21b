"""/ws/health/ is anonymous: what one client sends comes back to that client only."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from smilepay.consumers import HEALTH_GROUP
from tests.smilepay.socket_helpers import health_socket

# The consumer framework closes stale database connections on the way out.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_health_socket_echoes_to_the_sender_only():
    async def scenario():
        sender = health_socket()
        bystander = health_socket()
        assert (await sender.connect())[0] and (await bystander.connect())[0]
        await sender.receive_json_from(timeout=5)
        await bystander.receive_json_from(timeout=5)
        await sender.send_json_to({"payload": "<script>alert(1)</script>"})
        echoed = await sender.receive_json_from(timeout=5)
        # A server-side message after it: if the payload had been relayed, the bystander
        # would get it first (the layer keeps each channel's order).
        await get_channel_layer().group_send(
            HEALTH_GROUP, {"type": "health.echo", "payload": "from the server"}
        )
        next_for_bystander = await bystander.receive_json_from(timeout=5)
        await sender.disconnect()
        await bystander.disconnect()
        return echoed, next_for_bystander

    echoed, next_for_bystander = asyncio.run(scenario())
    assert echoed == {"type": "echo", "payload": "<script>alert(1)</script>"}
    assert next_for_bystander == {"type": "echo", "payload": "from the server"}
