from __future__ import annotations

from channels.db import database_sync_to_async

from kiosk.devices import DEVICE_COOKIE, kiosk_for_device
from kiosk.realtime import kiosk_group
from kiosk.selectors import kiosk_current_payment, kiosk_payment_state
from smilepay.websocket_json import SafeJsonWebsocketConsumer


class KioskConsumer(SafeJsonWebsocketConsumer):
    """The kiosk page's live feed. Authenticated by the device cookie, like its HTTP calls."""

    async def connect(self) -> None:
        kiosk = await database_sync_to_async(kiosk_for_device)(
            device_token=self.scope.get("cookies", {}).get(DEVICE_COOKIE)
        )
        if kiosk is None:
            await self.close(code=4401)
            return
        self.group = kiosk_group(kiosk.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # A reconnecting screen may have missed events: start it from the stored state.
        await self.send_json({"type": "payment", "payment": await self._current(kiosk.pk)})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def kiosk_payment(self, event: dict) -> None:
        await self.send_json({"type": "payment", "payment": event["payment"]})

    async def kiosk_revoked(self, event: dict) -> None:
        await self.send_json({"type": "revoked"})
        await self.close(code=4403)

    @database_sync_to_async
    def _current(self, kiosk_id: int) -> dict | None:
        payment = kiosk_current_payment(kiosk_id=kiosk_id)
        return kiosk_payment_state(payment=payment) if payment else None
