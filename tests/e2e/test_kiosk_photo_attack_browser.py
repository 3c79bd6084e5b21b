"""A printed photo held up to the kiosk's camera, with presentation-attack detection on as
in production, in Chromium: the fake camera plays real webcam frames of NUAA person 0001's
printed photo being held up and moved (../shared/faces/pad-nuaa-dev). The customer enrolled
live in front of the same webcam. The kiosk refuses ("That looked like a photo"), nothing is
paid, and the customer finds the attempt on their activity page.

The other browser tests switch the detector off because their camera plays portraits,
which it rightly calls photos; this one is the whole chain with it on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.accounts.conftest import PASSWORD
from tests.e2e.conftest import (
    chromium_browser,
    keypad_ready,
    make_y4m,
    sign_in,
    start_live_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

NUAA = Path(settings.FACES_DIR) / "pad-nuaa-dev"
FRAME_NUMBER = re.compile(r"_(\d+)\.jpg$")
EMAIL = "nuaa.one@example.com"

PREPARE = f"""
import json
from pathlib import Path
from django.conf import settings
from merchants import services as merchant_services
from merchants.models import Merchant
from payments import services as payment_services
from tests.accounts.conftest import enroll, make_customer
folder = Path(settings.FACES_DIR) / "pad-nuaa-dev/ClientRaw/0001"
live = sorted(folder.glob("0001_00_00_01_*.jpg"))
frames = [p.read_bytes() for p in live[:4]]
user = make_customer({EMAIL!r}, "+12025550111", name="Nuaa One", consent=True)
enroll(user, frames[:3], self_check=frames[3])
payment_services.wallet_topup(user_id=user.pk, amount_minor=5_000)
merchant = Merchant.objects.create(name="Corner Café", slug="corner-cafe")
kiosk = merchant_services.kiosk_create(merchant_id=merchant.pk, name="Counter 1")
print(json.dumps({{"code": merchant_services.kiosk_issue_pairing_code(kiosk_id=kiosk.pk)}}))
"""

OUTCOME = f"""
import json
from payments.models import LedgerAccount, Payment, RecognitionAttempt
payment = Payment.objects.get()
attempt = RecognitionAttempt.objects.get(payment=payment)
wallet = LedgerAccount.objects.get(kind="customer", user__email={EMAIL!r})
print(json.dumps({{"status": payment.status, "reason": payment.reason,
    "attempt": attempt.outcome, "named": attempt.customer.email if attempt.customer else None,
    "wallet": wallet.balance_minor, "held": wallet.held_minor}}))
"""


def printed_photo_video(tmp: Path) -> Path:
    """The held-up photo, frames in capture order then back (no jump when Chromium loops),
    at 10 frames a second: long enough for both steps of the smile challenge."""
    from PIL import Image

    folder = NUAA / "ImposterRaw" / "0001"
    paths = sorted(
        folder.glob("0001_00_00_01_*.jpg"), key=lambda p: int(FRAME_NUMBER.search(p.name)[1])
    )
    if not paths:
        pytest.skip(f"{folder} is missing (SMILEPAY_FACES_DIR)")
    frames = [Image.open(p).convert("RGB") for p in paths]
    return make_y4m(frames + frames[::-1], tmp / "printed.y4m", seconds_each=0.1, fps=10)


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def test_a_printed_photo_held_up_to_the_kiosk_is_refused_and_shown_to_its_owner(tmp_path):
    with start_live_server(
        tmp_path / "live",
        FACE_PAD_REQUIRED="true",
        FACE_CHALLENGES="neutral-smile",
        FACE_CHALLENGE_JITTER_MS="0",
    ) as live:
        code = last_json(live.shell(PREPARE))["code"]
        with chromium_browser(printed_photo_video(tmp_path)) as browser:
            page = browser.new_context(permissions=["camera"], base_url=live.url).new_page()
            page.set_default_timeout(30_000)
            page.goto(f"/kiosk/?code={code}")
            page.click("button[type=submit]")
            keypad_ready(page)
            for digit in "1250":
                page.click(f'.key[data-key="{digit}"]')
            page.click("#charge")
            page.wait_for_selector("#app[data-state=ready]")
            page.click("#smile")
            page.wait_for_selector("#app[data-state=failed]", timeout=120_000)
            assert page.inner_text("#failed-title") == "That looked like a photo"

            outcome = last_json(live.shell(OUTCOME))
            assert outcome == {
                "status": "failed",
                "reason": "presentation_attack",
                "attempt": "presentation_attack",
                "named": EMAIL,
                "wallet": 5_000,
                "held": 0,
            }

            phone = browser.new_context(base_url=live.url, locale="fr-FR").new_page()
            phone.set_default_timeout(30_000)
            sign_in(phone, EMAIL, PASSWORD, then="/me/activity/")
            item = phone.inner_text(".activity-item.spoof")
            assert "photo ou un écran montrant votre visage" in item, item
            assert "Corner Café, Counter 1" in item


def test_enrolling_from_a_printed_photo_held_up_to_the_webcam_is_refused_in_words(tmp_path):
    from tests.e2e.test_enrollment_browser import sign_up_and_consent

    with (
        start_live_server(tmp_path / "live", FACE_PAD_REQUIRED="true") as live,
        chromium_browser(printed_photo_video(tmp_path)) as browser,
    ):
        page = browser.new_context(permissions=["camera"], base_url=live.url).new_page()
        page.set_default_timeout(30_000)
        sign_up_and_consent(page, live, email="borrowed.face@example.com", phone="+1 202 555 0163")
        page.wait_for_function(
            "() => document.getElementById('enroll-guidance').textContent.includes('photo')",
            timeout=120_000,
        )
        said = page.inner_text("#enroll-guidance")
        assert said.startswith("This looks like a photo or a screen, not a live face."), said
        assert page.get_attribute("#enroll", "data-state") != "done"
        enrolled = live.shell(
            "from accounts.models import User; from accounts.selectors import "
            "customer_face_pay_status as s; "
            "u = User.objects.get(email='borrowed.face@example.com'); "
            "print(s(user_id=u.pk).template_count)"
        )
        assert enrolled.strip().splitlines()[-1] == "0"
