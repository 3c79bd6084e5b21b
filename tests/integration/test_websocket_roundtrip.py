import asyncio
import json

import pytest
import websockets
from channels_redis.core import RedisChannelLayer

from tests.services import clean_env, uvicorn_server

pytestmark = pytest.mark.integration


@pytest.fixture
def asgi_server(redis_url, tmp_path):
    env = clean_env(
        REDIS_URL=redis_url,
        SQLITE_PATH=str(tmp_path / "ws.sqlite3"),
        SMILEPAY_LOCAL_DIR=str(tmp_path),
    )
    with uvicorn_server(env, tmp_path / "uvicorn.log") as port:
        yield port


async def _round_trip(port: int, redis_url: str) -> list[dict]:
    url = f"ws://127.0.0.1:{port}/ws/health/"
    async with websockets.connect(url, origin=f"http://127.0.0.1:{port}") as socket:
        received = [json.loads(await asyncio.wait_for(socket.recv(), 10))]
        # From this process, through Redis, into the server process and back out.
        layer = RedisChannelLayer(hosts=[redis_url], prefix="smilepay:channels")
        await layer.group_send("health", {"type": "health.echo", "payload": "via redis"})
        received.append(json.loads(await asyncio.wait_for(socket.recv(), 10)))
        await socket.send(json.dumps({"payload": "via the socket"}))
        received.append(json.loads(await asyncio.wait_for(socket.recv(), 10)))
        await layer.close_pools()
    return received


def test_a_websocket_message_round_trips_through_uvicorn_and_redis(asgi_server, redis_url):
    messages = asyncio.run(_round_trip(asgi_server, redis_url))
    assert messages == [
        {"type": "hello"},
        {"type": "echo", "payload": "via redis"},
        {"type": "echo", "payload": "via the socket"},
    ]


def test_a_websocket_from_a_foreign_origin_is_refused(asgi_server):
    async def connect() -> None:
        async with websockets.connect(
            f"ws://127.0.0.1:{asgi_server}/ws/health/", origin="http://evil.example"
        ):
            pass

    with pytest.raises(websockets.exceptions.InvalidStatus):
        asyncio.run(connect())
