"""A JSON websocket consumer that neither a garbage frame nor an outage can crash.

Channels' AsyncJsonWebsocketConsumer runs `json.loads` on every text frame and raises on
a binary one: invalid JSON, a deep nest or a bytes frame ended the connection with 1011
and a traceback in the log. Here such a frame gets an error message back and the socket
stays open; only a JSON object reaches `receive_json`.

Redis (the channel layer) or PostgreSQL going away is no bug of the socket either: the
server would answer a new socket's handshake 500 and drop an open one without a close
frame, logging a traceback each time. Here the socket is closed with 1013 "Try Again
Later" (RFC 6455's registry), which the pages answer by reconnecting with a back-off,
and the log says which service is down in one line (`smilepay.outages`).
"""

from __future__ import annotations

import contextlib

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from smilepay.json_body import BadJsonBody, parse_json_bytes
from smilepay.outages import OUTAGES, log_outage

TRY_AGAIN_LATER = 1013


class SafeJsonWebsocketConsumer(AsyncJsonWebsocketConsumer):
    accepted = False

    async def __call__(self, scope, receive, send) -> None:
        # The channel layer's own receive failing (Redis gone under an open socket).
        try:
            await super().__call__(scope, receive, send)
        except OUTAGES as exc:
            log_outage(exc)
            await self._close_for_outage()

    async def dispatch(self, message) -> None:
        # A handler failing (connect's group_add, a query): the page hears 1013 at once.
        # Not after the consumer's clean-up: right after Redis comes back, channels_redis
        # may not let go of the socket's pending receive for a long while, and the page
        # would wait on a handshake that never ends instead of trying again.
        try:
            await super().dispatch(message)
        except OUTAGES as exc:
            log_outage(exc)
            await self._close_for_outage()
            raise StopConsumer from exc

    async def accept(self, subprotocol=None, headers=None) -> None:
        await super().accept(subprotocol, headers)
        self.accepted = True

    async def _close_for_outage(self) -> None:
        # A handshake refused before accept reaches the browser as 1006 with no reason;
        # accepting first lets the page read 1013 and back off.
        with contextlib.suppress(OSError, RuntimeError):  # the client may be gone already
            if not self.accepted:
                await self.base_send({"type": "websocket.accept"})
            await self.base_send({"type": "websocket.close", "code": TRY_AGAIN_LATER})

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
