"""A customer's websocket lives no longer than their session, and only a page of the
site itself (full origin: scheme, host and port) may open it."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db import connections

from accounts import services
from tests.accounts.socket_helpers import customer_socket, signed_in_client

pytestmark = pytest.mark.django_db(transaction=True)

EVENT = {"type": "payment.awaiting_confirmation", "payment_id": 5}


async def _closed(socket) -> dict:
    """The messages up to the close: a 'signed_out' notice, then the close itself."""
    notice = await socket.receive_json_from(timeout=10)
    closed = await socket.receive_output(timeout=10)
    await socket.wait()
    await database_sync_to_async(connections.close_all)()
    return {"notice": notice, "closed": closed}


def test_signing_out_closes_the_customers_open_socket_at_once(barack):
    client = signed_in_client(barack)

    async def scenario():
        socket = customer_socket(client)
        assert (await socket.connect())[0]
        await socket.receive_json_from(timeout=5)  # the state
        await database_sync_to_async(client.post)("/accounts/logout/")
        return await _closed(socket)

    result = asyncio.run(scenario())
    assert result["notice"] == {"type": "signed_out"}
    assert result["closed"] == {"type": "websocket.close", "code": 4401}


def test_signing_out_elsewhere_leaves_this_sessions_socket_open(barack):
    here, elsewhere = signed_in_client(barack), signed_in_client(barack)

    async def scenario():
        socket = customer_socket(here)
        await socket.connect()
        await socket.receive_json_from(timeout=5)
        await database_sync_to_async(elsewhere.post)("/accounts/logout/")
        await database_sync_to_async(services.notify_customer)(user_id=barack.pk, event=EVENT)
        got = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        await database_sync_to_async(connections.close_all)()
        return got

    assert asyncio.run(scenario()) == {"type": "event", "event": EVENT}


@pytest.mark.parametrize("then", ["an event", "a refresh"])
def test_a_socket_whose_session_ended_is_closed_at_its_next_event_or_refresh(barack, then):
    """Even without the sign-out message (a session deleted, expired, a password change):
    each event, and each refresh the page asks for, re-checks the session first."""
    client = signed_in_client(barack)

    async def scenario():
        socket = customer_socket(client)
        await socket.connect()
        await socket.receive_json_from(timeout=5)

        def change_password() -> None:
            barack.set_password("a brand new passphrase")
            barack.save(update_fields=["password"])

        await database_sync_to_async(change_password)()
        if then == "an event":
            await database_sync_to_async(services.notify_customer)(user_id=barack.pk, event=EVENT)
        else:
            await socket.send_json_to({"type": "refresh"})
        return await _closed(socket)

    result = asyncio.run(scenario())
    assert result["notice"] == {"type": "signed_out"}
    assert result["closed"]["code"] == 4401


def test_a_password_reset_closes_the_pages_still_open_on_the_old_password(barack):
    from django.contrib.auth.tokens import default_token_generator
    from django.test import Client
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    client = signed_in_client(barack)

    def reset_password() -> None:
        stranger = Client()
        uid = urlsafe_base64_encode(force_bytes(barack.pk))
        token = default_token_generator.make_token(barack)
        form = stranger.get(f"/accounts/reset/{uid}/{token}/")
        new = "a brand new passphrase 7"
        done = stranger.post(form["Location"], {"new_password1": new, "new_password2": new})
        assert done.status_code == 302, done.content

    async def scenario():
        socket = customer_socket(client)
        await socket.connect()
        await socket.receive_json_from(timeout=5)
        await database_sync_to_async(reset_password)()
        return await _closed(socket)

    result = asyncio.run(scenario())
    assert result["notice"] == {"type": "signed_out"}
    assert result["closed"]["code"] == 4401


@pytest.mark.parametrize(
    "origin",
    ["http://127.0.0.1:8254", "https://127.0.0.1", "http://evil.example", "null", ""],
)
def test_a_socket_from_another_origin_is_refused(barack, origin):
    client = signed_in_client(barack)

    async def scenario():
        socket = customer_socket(client, origin=origin)
        connected, _ = await socket.connect()
        await database_sync_to_async(connections.close_all)()
        return connected

    assert asyncio.run(scenario()) is False
