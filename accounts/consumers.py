"""The customer's live channel: /ws/customer/, group `customer.<user_id>`.

On connect it re-reads the state (face pay status, plus whatever other apps add through
`accounts.signals.customer_state_requested`) so a page that was asleep is current again;
afterwards it forwards every `customer.event` sent by `notify_customer`.

Signing out closes the sockets of that session at once (`customer.signed_out`, sent by
`on_logged_out`), and every event and every refresh re-checks that the socket's session
is still signed in as this customer (expired, flushed, password changed), so a socket
never outlives its session.
"""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async

from accounts.push import customer_group
from accounts.selectors import customer_face_pay_status, push_subscription_count
from accounts.signals import customer_state_requested
from smilepay.group_send import group_send
from smilepay.websocket_json import SafeJsonWebsocketConsumer

logger = logging.getLogger(__name__)

SIGNED_OUT = 4401


def session_signed_in(*, session_key: str | None, user_id: int) -> bool:
    """The session still exists and still belongs to this user (and their password)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils.crypto import constant_time_compare

    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(store.get(SESSION_KEY)) != str(user_id):
        return False
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return user is not None and constant_time_compare(
        store.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    )


def on_logged_out(sender, request=None, user=None, **kwargs) -> None:
    """Django's user_logged_out (sent before the session is flushed): close its sockets."""
    if user is None or request is None or not getattr(request, "session", None):
        return
    close_customer_sockets(user_id=user.pk, session_key=request.session.session_key)


def close_customer_sockets(*, user_id: int, session_key: str | None = None) -> None:
    """Tell the customer's open sockets (only those of ``session_key``, given one) that
    they are signed out; each closes with 4401."""
    try:
        group_send(
            customer_group(user_id), {"type": "customer.signed_out", "session_key": session_key}
        )
    except Exception:  # the per-event and per-refresh session check still closes them
        logger.exception("sign-out of user %s not sent to their sockets", user_id)


def customer_state(*, user_id: int) -> dict:
    status = customer_face_pay_status(user_id=user_id)
    state = {
        "type": "state",
        "face_pay": {
            "enabled": status.enabled,
            "paused": status.paused,
            "consent_current": status.consent_current,
            "template_count": status.template_count,
        },
        "devices": push_subscription_count(user_id=user_id),
    }
    for receiver, extra in customer_state_requested.send_robust(sender=None, user_id=user_id):
        if isinstance(extra, Exception):
            logger.warning("customer state from %s failed: %s", receiver, extra)
        elif isinstance(extra, dict):
            state.update(extra)
    return state


class CustomerConsumer(SafeJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user_id = user.pk
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        self.group = customer_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(await database_sync_to_async(customer_state)(user_id=self.user_id))

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        if not self.group:
            return
        if content.get("type") != "refresh":
            return
        if not await self._still_signed_in():
            await self._signed_out()
            return
        await self.send_json(await database_sync_to_async(customer_state)(user_id=self.user_id))

    async def customer_event(self, message: dict) -> None:
        if not await self._still_signed_in():
            await self._signed_out()
            return
        await self.send_json({"type": "event", "event": message.get("event", {})})

    async def _still_signed_in(self) -> bool:
        return await database_sync_to_async(session_signed_in)(
            session_key=self.session_key, user_id=self.user_id
        )

    async def customer_signed_out(self, message: dict) -> None:
        if message.get("session_key") in (None, self.session_key):
            await self._signed_out()

    async def _signed_out(self) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)
        self.group = None
        await self.send_json({"type": "signed_out"})
        await self.close(code=SIGNED_OUT)
