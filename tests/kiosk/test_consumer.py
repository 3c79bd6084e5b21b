import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from kiosk.devices import DEVICE_COOKIE
from kiosk.realtime import kiosk_group
from merchants.models import Kiosk
from merchants.services import kiosk_issue_pairing_code, kiosk_pair, kiosk_revoke
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
        # The merchant revokes the kiosk through the real service (as the merchant site does).
        await database_sync_to_async(kiosk_revoke)(kiosk_id=kiosk.pk, merchant_id=kiosk.merchant_id)
        message = await socket.receive_json_from(timeout=10)
        closed = await socket.receive_output(timeout=10)
        await socket.wait()
        return message, closed

    message, closed = asyncio.run(scenario())
    assert message == {"type": "revoked"}
    assert closed == {"type": "websocket.close", "code": 4403}


def test_pairing_again_closes_the_old_devices_socket_and_keeps_the_new_one():
    kiosk, old_token = paired_kiosk()

    async def scenario():
        old = communicator(old_token)
        await old.connect()
        await old.receive_json_from(timeout=5)
        code = await database_sync_to_async(kiosk_issue_pairing_code)(kiosk_id=kiosk.pk)
        new_token = (await database_sync_to_async(kiosk_pair)(code=code)).device_token
        told = await old.receive_json_from(timeout=10)
        closed = await old.receive_output(timeout=10)
        await old.wait()
        new = communicator(new_token)
        connected, _ = await new.connect()
        await new.receive_json_from(timeout=5)
        await get_channel_layer().group_send(
            kiosk_group(kiosk.pk),
            {"type": "kiosk.payment", "payment": {"id": 8, "customer": "Casey W."}},
        )
        seen = await new.receive_json_from(timeout=5)
        await new.disconnect()
        return told, closed, connected, seen

    told, closed, connected, seen = asyncio.run(scenario())
    assert told == {"type": "revoked"} and closed["code"] == 4403
    assert connected and seen["payment"]["customer"] == "Casey W."


def test_a_socket_whose_device_lost_its_token_never_sees_a_payment():
    """Even if the close message were lost: each event re-checks the device first."""
    kiosk, token = paired_kiosk()

    async def scenario():
        socket = communicator(token)
        await socket.connect()
        await socket.receive_json_from(timeout=5)
        # The token is replaced behind the consumer's back, with no message sent.
        await database_sync_to_async(
            lambda: Kiosk.objects.filter(pk=kiosk.pk).update(device_token_hash="x" * 64)
        )()
        await get_channel_layer().group_send(
            kiosk_group(kiosk.pk),
            {"type": "kiosk.payment", "payment": {"id": 9, "customer": "Casey W."}},
        )
        message = await socket.receive_json_from(timeout=10)
        closed = await socket.receive_output(timeout=10)
        await socket.wait()
        return message, closed

    message, closed = asyncio.run(scenario())
    assert message == {"type": "revoked"}
    assert closed["code"] == 4403
