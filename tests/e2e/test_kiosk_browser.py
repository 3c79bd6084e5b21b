"""Smile to pay at the counter, end to end, with every real part that runs here.

A kiosk in Chromium whose fake camera plays real photos of an enrolled customer
(neutral, then smiling, with camera noise), uvicorn serving HTTP and websockets,
a Celery worker on Redis running the recognition and the Web Push, PostgreSQL (in CI),
a push service on loopback that decrypts the notification, and the customer approving
on the "phone" in a second browser context. The kiosk must show "Paid" live and the
ledger must have moved.

Set SMILEPAY_SCREENSHOTS=docs/kiosk-screens to keep a screenshot of each kiosk state.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from smilepay.faces.lab import bursts
from tests.e2e.conftest import (
    CAMERA_SMILES_AT_S,
    chromium_browser,
    keypad_ready,
    make_y4m,
    snap,
    start_live_server,
)
from tests.services import celery_worker
from tests.webpush import Browser as PushKeys
from tests.webpush import PushService, wait_for_push

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LFW = Path(settings.FACES_DIR) / "lfw-dev"


def lfw(name: str, index: int) -> bytes:
    path = LFW / name / f"{name}_{index:04d}.jpg"
    if not path.exists():
        pytest.skip(f"{path} is missing (SMILEPAY_FACES_DIR)")
    return path.read_bytes()


def camera_video(tmp: Path, frames: list[bytes], name: str) -> Path:
    """10 frames a second; Chromium plays the file from the start when the camera opens."""
    return make_y4m(bursts.frames_to_pil(frames), tmp / f"{name}.y4m", seconds_each=0.1, fps=10)


def smiling_customer_video(tmp: Path) -> Path:
    rng = np.random.default_rng(4)
    neutral = bursts.camera_frames(lfw("Adrien_Brody", 5), round(CAMERA_SMILES_AT_S * 10), rng=rng)
    smiling = bursts.camera_frames(lfw("Adrien_Brody", 7), 50, rng=rng)
    return camera_video(tmp, neutral + smiling, "adrien")


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def counter(request, tmp_path, redis_url, push_service):
    """A live server on Redis with a worker, and the scenario's data in its database.
    Parametrize it indirectly with a dict to give the server more environment."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # no rate-limit counters from earlier runs
    env = {
        "WEBPUSH_ALLOW_HTTP_ENDPOINTS": "true",
        "WEBPUSH_ALLOW_PRIVATE_ENDPOINTS": "true",
        **getattr(request, "param", {}),
    }
    with start_live_server(tmp_path / "live", redis_url=redis_url, **env) as live:
        keys = PushKeys(f"{push_service.origin}/push/adrien-phone")
        sub = keys.subscription_json()
        out = live.shell(
            "from tests.e2e.kiosk_scenario import prepare; "
            f"prepare(push_endpoint={sub['endpoint']!r}, p256dh={sub['keys']['p256dh']!r}, "
            f"auth={sub['keys']['auth']!r})"
        )
        scenario = json.loads(out.strip().splitlines()[-1])
        with celery_worker(live.env, tmp_path / "worker.log") as worker:
            yield live, scenario, keys, worker, tmp_path


def pair_and_charge(page, code: str, cents: str, *, shots: str = "") -> None:
    page.goto(f"/kiosk/?code={code}")
    snap(page, f"{shots}1-pairing")
    page.click("button[type=submit]")
    keypad_ready(page)
    for digit in cents:
        page.click(f'.key[data-key="{digit}"]')
    snap(page, f"{shots}2-amount")
    page.click("#charge")
    page.wait_for_selector("#app[data-state=ready]")
    snap(page, f"{shots}3-ready")


def test_a_customer_smiles_at_the_kiosk_approves_on_the_phone_and_the_kiosk_shows_paid(
    counter, push_service
):
    live, scenario, keys, worker, tmp = counter
    video = smiling_customer_video(tmp)
    with chromium_browser(video) as browser:
        kiosk = browser.new_context(permissions=["camera"], base_url=live.url)
        page = kiosk.new_page()
        page.set_default_timeout(30_000)
        pair_and_charge(page, scenario["code"], "450")

        page.click("#smile")
        page.wait_for_selector("#app[data-state=camera]")
        # No screenshot here: it would show the LFW photo, which the project does not ship.
        page.wait_for_selector("#app[data-state=confirm]", timeout=120_000)
        assert page.inner_text('#app [data-screen=confirm] [data-bind="customer"]') == "A*** B."
        snap(page, "5-confirm-on-phone")

        push = wait_for_push(push_service, timeout=60)
        message = keys.decrypt(push["body"])
        assert "Corner Café" in message["title"] and "4.50" in message["title"]
        assert push["headers"]["urgency"] == "high"

        phone = browser.new_context(base_url=live.url)
        customer = phone.new_page()
        customer.goto(message["url"])  # the notification's link: sign in first
        customer.fill("input[name=username]", "adrien@example.com")
        customer.fill("input[name=password]", scenario["password"])
        customer.click("button[type=submit]")
        customer.wait_for_url(f"**{message['url']}")
        customer.click("button[value=approve]")

        page.wait_for_selector("#app[data-state=done]", timeout=30_000)
        assert page.inner_text("#outcome-title") == "Paid"
        snap(page, "6-paid")

    assert worker.poll() is None, (tmp / "worker.log").read_text()
    state = json.loads(
        live.shell(
            "from tests.e2e.kiosk_scenario import ledger_state; "
            f"ledger_state(customer_id={scenario['customer_id']})"
        )
        .strip()
        .splitlines()[-1]
    )
    assert state == {"wallet": 10_000 - 450, "held": 0, "merchant": 450, "status": "succeeded"}


def test_a_still_photo_in_front_of_the_kiosk_camera_is_not_accepted(counter):
    live, scenario, _, _, tmp = counter
    still = bursts.replayed_photo_burst(lfw("Adrien_Brody", 7), count=30)
    with chromium_browser(camera_video(tmp, still, "still")) as browser:
        page = browser.new_context(permissions=["camera"], base_url=live.url).new_page()
        page.set_default_timeout(30_000)
        pair_and_charge(page, scenario["code"], "300")
        page.click("#smile")
        page.wait_for_selector("#app[data-state=failed]", timeout=120_000)
        assert page.inner_text("#failed-title") == "Please follow the prompts"
        snap(page, "7-not-live")


@pytest.mark.parametrize("counter", [{"KIOSK_OPEN_SEARCH_MAX_RISK": "0"}], indirect=True)
def test_where_too_many_people_pay_by_face_the_kiosk_asks_for_phone_digits_first(counter):
    live, scenario, _, _, tmp = counter
    with chromium_browser(smiling_customer_video(tmp)) as browser:
        page = browser.new_context(permissions=["camera"], base_url=live.url).new_page()
        page.set_default_timeout(30_000)
        pair_and_charge(page, scenario["code"], "450")
        page.click("#smile")
        page.wait_for_selector("#app[data-state=digits]")
        assert page.inner_text("#digits-why").startswith("Many people pay with their face here")
        snap(page, "4-digits-first")
        page.fill("#digits", "0101")
        page.click("#digits-go")
        page.wait_for_selector("#app[data-state=confirm]", timeout=120_000)
        assert page.inner_text('#app [data-screen=confirm] [data-bind="customer"]') == "A*** B."


TABLET = {"width": 1024, "height": 768}


def test_a_customer_who_always_wants_digits_types_them_first_and_smiles_once(counter, push_service):
    """At tablet size: the kiosk asks for the digits before the smile, one smile pays, and
    when the push to the customer's phone fails the kiosk says to open SmilePay."""
    live, scenario, _, _, tmp = counter
    live.shell(
        "from tests.e2e.kiosk_scenario import always_ask_digits; "
        f"always_ask_digits(customer_id={scenario['customer_id']})"
    )
    push_service.status_for["/push/adrien-phone"] = 503  # the phone's push service is down
    with chromium_browser(smiling_customer_video(tmp)) as browser:
        context = browser.new_context(permissions=["camera"], base_url=live.url, viewport=TABLET)
        page = context.new_page()
        page.set_default_timeout(30_000)
        pair_and_charge(page, scenario["code"], "450", shots="kiosk-tablet-")
        page.click("#smile")
        page.wait_for_selector("#app[data-state=digits]")
        assert page.inner_text("#digits-why") == (
            "Enter the last 4 digits of your phone so we find you."
        )
        page.fill("#digits", "0101")
        snap(page, "kiosk-tablet-4-digits-first")
        page.click("#digits-go")
        page.wait_for_selector("#app[data-state=confirm]", timeout=120_000)
        hint = page.wait_for_selector("#phone-hint:visible", timeout=60_000)
        assert "Open SmilePay on your phone" in hint.inner_text()
        snap(page, "kiosk-tablet-5-open-the-app")
    attempts = live.shell("from tests.e2e.kiosk_scenario import match_attempts; match_attempts()")
    assert json.loads(attempts.strip().splitlines()[-1]) == [1]


# Stand-in for a camera the browser refuses (the fake-device flags always grant it).
REFUSE_THE_CAMERA = """
navigator.mediaDevices.getUserMedia = () =>
  Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
"""


def test_a_refused_camera_is_explained_in_the_cashiers_language(counter):
    live, scenario, _, _, _ = counter
    with chromium_browser() as browser:
        context = browser.new_context(locale="fr-FR", base_url=live.url)
        context.add_init_script(REFUSE_THE_CAMERA)
        page = context.new_page()
        page.set_default_timeout(30_000)
        pair_and_charge(page, scenario["code"], "300")
        page.click("#smile")
        page.wait_for_function("() => document.getElementById('error').textContent.trim()")
        said = page.inner_text("#error")
        assert said.startswith("La caméra n’est pas autorisée"), said
        assert "Permission denied" not in said
        page.wait_for_selector("#app[data-state=ready]")  # the cashier may try again
