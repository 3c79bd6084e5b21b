"""The live sockets when Redis (the channel layer) goes away, on the production-like stack.

A kiosk screen and a customer's phone each hold a socket. When Redis stops under an open
one, or is down when a screen reconnects, the socket must be closed with 1013 "Try Again
Later" (the pages back off and reconnect), and the server must log the outage in a line,
not a traceback per socket.
"""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.services import free_port, redis_server

TRY_AGAIN_LATER = 1013


def close_code_after(socket, *, timeout: float = 60) -> int | None:
    """Read until the server closes the socket; the code it closed with."""
    try:
        while True:
            socket.recv(timeout=timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def assert_logged_in_a_line(server) -> None:
    log = server.log()
    assert "a service is down: ConnectionError" in log, log[-2000:]
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-3000:]


@pytest.fixture
def sockets(stack) -> dict:
    """Where the kiosk screen's and the customer's phone's sockets connect, and how."""
    cafe = stack.merchant()
    casey = stack.customer()
    return {
        "kiosk": ("/ws/kiosk/", f"smilepay_kiosk={cafe['kiosk_token']}", "payment"),
        "customer": ("/ws/customer/", f"sessionid={casey['session']}", "state"),
    }


@pytest.mark.parametrize("who", ["kiosk", "customer"])
def test_when_redis_stops_an_open_socket_is_closed_with_try_again_later(
    stack, sockets, tmp_path, who
):
    path, cookie, first_message = sockets[who]
    with (
        redis_server(tmp_path / "redis.log") as (redis_url, redis),
        stack.second_server(REDIS_URL=redis_url) as server,
        connect(
            server.ws_url + path, origin=server.url, additional_headers={"Cookie": cookie}
        ) as socket,
    ):
        assert json.loads(socket.recv(timeout=60))["type"] == first_message
        redis.terminate()
        redis.wait(timeout=30)
        assert close_code_after(socket) == TRY_AGAIN_LATER
        assert_logged_in_a_line(server)


@pytest.mark.parametrize("who", ["kiosk", "customer"])
def test_with_redis_down_a_reconnecting_socket_is_told_to_try_again_later(stack, sockets, who):
    path, cookie, _ = sockets[who]
    closed = f"redis://127.0.0.1:{free_port()}/1"  # nothing listens there
    with (
        stack.second_server(REDIS_URL=closed) as server,
        connect(
            server.ws_url + path, origin=server.url, additional_headers={"Cookie": cookie}
        ) as socket,
    ):
        assert close_code_after(socket) == TRY_AGAIN_LATER
        assert_logged_in_a_line(server)
