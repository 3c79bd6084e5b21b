"""A channel layer that hangs (a Redis that accepts and never answers) costs a service a
few seconds, not the layer's 15 s: the message is given up (the callers log it)."""

from __future__ import annotations

import asyncio
import time

import pytest

from smilepay import group_send as sender


class HangingLayer:
    async def group_send(self, group, message):
        await asyncio.Event().wait()  # never answers


def test_a_hanging_layer_is_given_up_after_the_bound(monkeypatch):
    monkeypatch.setattr(sender, "get_channel_layer", HangingLayer)
    monkeypatch.setattr(sender, "TIMEOUT_SECONDS", 0.2)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        sender.group_send("kiosk.1", {"type": "kiosk.payment"})
    assert time.monotonic() - started < 5
