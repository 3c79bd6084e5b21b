"""A JSON websocket consumer that a garbage frame cannot crash.

Channels' AsyncJsonWebsocketConsumer runs `json.loads` on every text frame and raises on
a binary one: invalid JSON, a deep nest or a bytes frame ended the connection with 1011
and a traceback in the log. Here such a frame gets an error message back and the socket
stays open; only a JSON object reaches `receive_json`.
"""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from smilepay.json_body import BadJsonBody, parse_json_bytes


class SafeJsonWebsocketConsumer(AsyncJsonWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if text_data is None:
            await self._refuse(_("Send JSON text frames."))
            return
        try:
            content = parse_json_bytes(text_data.encode("utf-8", "surrogatepass"))
        except BadJsonBody as exc:
            await self._refuse(str(exc))
            return
        if not isinstance(content, dict):
            await self._refuse(_("Send a JSON object."))
            return
        await self.receive_json(content, **kwargs)

    async def _refuse(self, message: str) -> None:
        await self.send_json({"type": "error", "message": message})
