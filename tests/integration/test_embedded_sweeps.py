"""The embedded default (`make run`: no broker, no beat) expires payments on time by
itself: the kiosk's websocket hears "expired" without anybody reading the payment, and
the merchant's webhook fires."""

import asyncio
import json
import time

import pytest
import websockets

from tests.payments.test_webhooks import Receiver
from tests.services import clean_env, run_manage, uvicorn_server

pytestmark = pytest.mark.integration

SETUP = """
import json
from datetime import timedelta
from merchants.services import kiosk_pair
from merchants import services as merchant_services
from payments import services
from merchants.models import Merchant
cafe = Merchant.objects.create(name="Embedded Café", slug="embedded-cafe")
kiosk = merchant_services.kiosk_create(merchant_id=cafe.pk, name="Counter")
token = kiosk_pair(code=merchant_services.kiosk_issue_pairing_code(kiosk_id=kiosk.pk)).device_token
endpoint = merchant_services.webhook_endpoint_create(merchant_id=cafe.pk, url="{url}")
payment = services.payment_create(
    merchant_id=cafe.pk, kiosk_id=kiosk.pk, amount_minor=450, currency="USD",
    expires_in=timedelta(seconds={ttl}),
)
print(json.dumps({{"token": token, "secret": endpoint.secret, "payment_id": payment.pk,
                  "expires_at": payment.expires_at.timestamp()}}))
"""


async def kiosk_hears_expired(port: int, token: str, payment_id: int, timeout: float) -> dict:
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws/kiosk/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": f"smilepay_kiosk={token}"},
    ) as socket:
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(await asyncio.wait_for(socket.recv(), deadline - time.monotonic()))
            payment = message.get("payment") or {}
            if payment.get("id") == payment_id and payment.get("status") == "expired":
                return {"payment": payment, "heard_at": time.time()}


def test_without_beat_the_server_expires_a_payment_and_the_kiosk_hears_it(tmp_path):
    receiver = Receiver()
    env = clean_env(
        SQLITE_PATH=str(tmp_path / "embedded.sqlite3"),
        SMILEPAY_LOCAL_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
        # The receiver listens on loopback: the explicit opt-in for private targets.
        WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
    )
    try:
        assert run_manage("migrate", "--noinput", env=env).returncode == 0
        made = run_manage("shell", "-v", "0", "-c", SETUP.format(url=receiver.url, ttl=15), env=env)
        assert made.returncode == 0, made.stderr
        world = json.loads(made.stdout.strip().splitlines()[-1])
        receiver.secret = world["secret"]
        with uvicorn_server(env, tmp_path / "uvicorn.log", args=("--lifespan", "off")) as port:
            heard = asyncio.run(
                kiosk_hears_expired(port, world["token"], world["payment_id"], timeout=90)
            )
        assert heard["payment"]["status"] == "expired"
        print(f"kiosk heard 'expired' {heard['heard_at'] - world['expires_at']:.1f}s after")
        types = [r["event"]["type"] for r in receiver.received if r["verified"]]
        assert "payment.expired" in types
    finally:
        receiver.close()
