"""A websocket that proves the channel layer works end to end (used by health checks),
and the answer to a websocket at any other path."""

from channels.generic.websocket import AsyncWebsocketConsumer

from smilepay.websocket_json import SafeJsonWebsocketConsumer

HEALTH_GROUP = "health"


class HealthConsumer(SafeJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(HEALTH_GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(HEALTH_GROUP, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        # Echo through the layer rather than directly, so a round trip exercises the layer,
        # but to this socket's own channel only: an anonymous client's payload never
        # reaches anybody else. (The group carries only what the server itself sends.)
        await self.channel_layer.send(
            self.channel_name, {"type": "health.echo", "payload": content.get("payload")}
        )

    async def health_echo(self, event: dict) -> None:
        await self.send_json({"type": "echo", "payload": event.get("payload")})


class NoSuchSocket(AsyncWebsocketConsumer):
    """A path no route serves: the handshake is refused (HTTP 403), where Channels' router
    would raise, answer 500 and log a traceback."""

    async def connect(self) -> None:
        await self.close()
