"""The customer's live channel: /ws/customer/, group `customer.<user_id>`.

On connect it re-reads the state (face pay status, plus whatever other apps add through
`accounts.signals.customer_state_requested`) so a page that was asleep is current again;
afterwards it forwards every `customer.event` sent by `notify_customer`.
"""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async

from accounts.push import customer_group
from smilepay.websocket_json import SafeJsonWebsocketConsumer

logger = logging.getLogger(__name__)


def customer_state(*, user_id: int) -> dict:
    from accounts.selectors import customer_face_pay_status, push_subscription_count
    from accounts.signals import customer_state_requested

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
        self.group = customer_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(await database_sync_to_async(customer_state)(user_id=self.user_id))

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        if content.get("type") == "refresh":
            await self.send_json(await database_sync_to_async(customer_state)(user_id=self.user_id))

    async def customer_event(self, message: dict) -> None:
        await self.send_json({"type": "event", "event": message.get("event", {})})
