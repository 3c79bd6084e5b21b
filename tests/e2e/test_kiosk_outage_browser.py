"""A paired kiosk page is open in Chromium when Redis (the channel layer) stops and comes
back: the page says it is reconnecting, reconnects by itself once Redis is back, and then hears
the server again (a revoke reaches it), with nobody touching it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import chromium_browser, start_live_server
from tests.e2e.test_kiosk_revoke_browser import SETUP
from tests.services import redis_server

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REVOKE = """
from merchants.models import Kiosk
from merchants.services import kiosk_revoke
kiosk = Kiosk.objects.get(name="Counter 1")
kiosk_revoke(kiosk_id=kiosk.pk, merchant_id=kiosk.merchant_id)
"""


def test_a_kiosk_page_reconnects_by_itself_when_redis_comes_back(tmp_path):
    redis_log = tmp_path / "redis.log"
    with redis_server(redis_log) as (redis_url, redis):
        port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
        with (
            start_live_server(
                tmp_path / "live", redis_url=redis_url, CELERY_TASK_ALWAYS_EAGER="true"
            ) as live,
            chromium_browser() as browser,
        ):
            code = live.shell(SETUP).split("CODE ")[1].strip()
            kiosk = browser.new_context(base_url=live.url).new_page()
            kiosk.goto(f"/kiosk/?code={code}")
            kiosk.click("button[type=submit]")
            kiosk.wait_for_selector("#app[data-state=amount]", timeout=60_000)
            kiosk.wait_for_selector("#connection.live", timeout=60_000)

            redis.terminate()
            redis.wait(timeout=30)
            kiosk.wait_for_selector("#connection:not(.live)", timeout=60_000)
            told = kiosk.wait_for_selector("#connection-lost", state="visible", timeout=60_000)
            assert told.inner_text() == "Reconnecting…"

            with redis_server(redis_log, port=port):
                kiosk.wait_for_selector("#connection.live", timeout=90_000)
                kiosk.wait_for_selector("#connection-lost", state="hidden", timeout=60_000)
                live.shell(REVOKE)
                kiosk.wait_for_selector("text=Pair this kiosk", timeout=60_000)
                log = (live.tmp / "uvicorn.log").read_text(errors="replace")
                assert "Traceback" not in log, log[-3000:]
