import asyncio

import pytest
from channels.testing import WebsocketCommunicator

from kiosk.devices import DEVICE_COOKIE, kiosk_pair
from kiosk.realtime import kiosk_group
from payments.services import kiosk_issue_pairing_code
from smilepay.asgi import application
from tests.kiosk.factories import make_kiosk

pytestmark = pytest.mark.django_db(transaction=True)


def paired_kiosk():
    kiosk = make_kiosk()
    return kiosk, kiosk_pair(code=kiosk_issue_pairing_code(kiosk_id=kiosk.pk)).device_token


def communicator(token: str | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if token:
        headers.append((b"cookie", f"{DEVICE_COOKIE}={token}".encode()))
    return WebsocketCommunicator(application, "/ws/kiosk/", headers=headers)


def test_an_unpaired_device_cannot_open_the_kiosk_feed():
    async def scenario():
        socket = communicator("kd_wrong")
        connected, code = await socket.connect()
        await socket.wait()  # let the consumer finish, closing its database connection
        return connected, code

    connected, code = asyncio.run(scenario())
    assert not connected
    assert code == 4401


def test_a_paired_kiosk_gets_its_state_on_connect_and_its_group_events():
    kiosk, token = paired_kiosk()

    async def scenario():
        socket = communicator(token)
        connected, _ = await socket.connect()
        assert connected
        first = await socket.receive_json_from(timeout=5)
        from channels.layers import get_channel_layer

        await get_channel_layer().group_send(
            kiosk_group(kiosk.pk),
            {"type": "kiosk.payment", "payment": {"id": 7, "status": "matching"}},
        )
        second = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return first, second

    first, second = asyncio.run(scenario())
    assert first == {"type": "payment", "payment": None}
    assert second == {"type": "payment", "payment": {"id": 7, "status": "matching"}}


def test_a_revoked_kiosk_is_told_and_disconnected():
    kiosk, token = paired_kiosk()

    async def scenario():
        socket = communicator(token)
        await socket.connect()
        await socket.receive_json_from(timeout=5)
        from channels.layers import get_channel_layer

        await get_channel_layer().group_send(kiosk_group(kiosk.pk), {"type": "kiosk.revoked"})
        message = await socket.receive_json_from(timeout=5)
        closed = await socket.receive_output(timeout=5)
        await socket.wait()
        return message, closed

    message, closed = asyncio.run(scenario())
    assert message == {"type": "revoked"}
    assert closed["type"] == "websocket.close"
