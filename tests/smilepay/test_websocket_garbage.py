"""A garbage websocket frame gets an error message back; the socket and the server live on."""

from __future__ import annotations

import asyncio

import pytest
from channels.testing import WebsocketCommunicator

from smilepay.asgi import application
from tests.smilepay.socket_helpers import SAME_ORIGIN, health_socket

# The consumer closes stale database connections between frames (channels does, for every
# consumer): with a connection left open by an earlier test, that needs database access.
pytestmark = pytest.mark.django_db

GARBAGE = [
    {"text_data": "not json {"},
    {"text_data": "[" * 50_000 + "]" * 50_000},
    {"text_data": '["a list", "not an object"]'},
    {"text_data": '{"payload": "\\ud800"}'},
    {"text_data": "NaN"},
    {"text_data": '{"payload": 1e999}'},
    {"bytes_data": b"\x00\xff binary"},
]


@pytest.mark.parametrize("frame", GARBAGE, ids=lambda f: repr(f)[:40])
def test_a_garbage_frame_is_answered_with_an_error_and_the_socket_stays_open(frame):
    async def scenario():
        socket = health_socket()
        connected, _ = await socket.connect()
        assert connected
        assert await socket.receive_json_from(timeout=10) == {"type": "hello"}
        await socket.send_to(**frame)
        refused = await socket.receive_json_from(timeout=10)
        await socket.send_json_to({"payload": "still here"})
        echoed = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return refused, echoed

    refused, echoed = asyncio.run(scenario())
    assert refused["type"] == "error" and refused["message"]
    assert echoed == {"type": "echo", "payload": "still here"}


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/health", "/", "/ws/kiosk/extra/"])
def test_a_socket_at_a_path_nothing_serves_is_refused_not_a_server_error(path):
    async def scenario():
        socket = WebsocketCommunicator(application, path, headers=SAME_ORIGIN)
        connected, code = await socket.connect(timeout=10)
        await socket.wait()
        return connected, code

    assert asyncio.run(scenario()) == (False, 1000)
