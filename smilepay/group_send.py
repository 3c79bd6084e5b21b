"""Sending to a websocket group from synchronous code (services, on-commit hooks), with
a short bound of its own.

The channel layer's Redis connections wait up to 15 s for an answer (they must, for the
sockets' blocking receives). A Redis that hangs instead of refusing would then hold the
request that made the change, and its pooled database connection, that long for each
message. Live updates are a courtesy (pages re-read state on reconnecting), so after a
few seconds the message is given up and the failure logged."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

TIMEOUT_SECONDS = 3.0


def group_send(group: str, message: dict) -> None:
    """Raises TimeoutError (or the layer's error) when the message could not go out."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def bounded() -> None:
        await asyncio.wait_for(layer.group_send(group, message), timeout=TIMEOUT_SECONDS)

    async_to_sync(bounded)()
