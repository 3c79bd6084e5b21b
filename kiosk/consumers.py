from __future__ import annotations

from channels.db import database_sync_to_async

from kiosk.devices import DEVICE_COOKIE
from kiosk.realtime import kiosk_group
from kiosk.selectors import kiosk_current_payment, kiosk_payment_state
from merchants.selectors import kiosk_for_device
from merchants.tokens import hash_token
from smilepay.websocket_json import SafeJsonWebsocketConsumer

REVOKED = 4403


class KioskConsumer(SafeJsonWebsocketConsumer):
    """The kiosk page's live feed. Authenticated by the device cookie, like its HTTP calls.

    A revoke or a re-pair closes it at once (`kiosk.revoked`, sent on commit); each
    payment event also re-checks the device token first, so a socket whose device lost
    its token never shows another customer, even if that message was lost."""

    async def connect(self) -> None:
        token = self.scope.get("cookies", {}).get(DEVICE_COOKIE)
        kiosk = await database_sync_to_async(kiosk_for_device)(device_token=token)
        if kiosk is None:
            await self.close(code=4401)
            return
        self.token = token
        self.token_hash = hash_token(token)
        self.group = kiosk_group(kiosk.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # A reconnecting screen may have missed events: start it from the stored state.
        await self.send_json({"type": "payment", "payment": await self._current(kiosk.pk)})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def kiosk_payment(self, event: dict) -> None:
        if await database_sync_to_async(kiosk_for_device)(device_token=self.token) is None:
            await self._revoked()
            return
        await self.send_json({"type": "payment", "payment": event["payment"]})

    async def kiosk_revoked(self, event: dict) -> None:
        if event.get("keep_token_hash") and event["keep_token_hash"] == self.token_hash:
            return  # the device just paired: this socket is the new one
        await self._revoked()

    async def _revoked(self) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.send_json({"type": "revoked"})
        await self.close(code=REVOKED)

    @database_sync_to_async
    def _current(self, kiosk_id: int) -> dict | None:
        payment = kiosk_current_payment(kiosk_id=kiosk_id)
        return kiosk_payment_state(payment=payment) if payment else None
