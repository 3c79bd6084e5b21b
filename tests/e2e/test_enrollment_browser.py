"""A new customer, in a real Chromium whose camera plays a real portrait, signs up,
verifies the phone with the texted code, consents, and enrolls the face on the page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.conftest import chromium_browser, face_frame, make_y4m

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PORTRAIT = Path(settings.FACES_DIR) / "face_recognition_examples" / "examples" / "obama.jpg"
# Where the face is in that photo (top, right, bottom, left), measured with
# smilepay.faces.analyze; the camera frame is cropped around it.
PORTRAIT_FACE = (154, 621, 403, 374)


def sign_up_and_consent(page, server, *, email: str, phone: str) -> None:
    """A new customer, from the sign-up form to the enrolment page."""
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=full_name]", "Michelle R.")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", "a long enough passphrase")
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/verify-phone/")
    (code,) = server.sms_codes()[-1:]
    page.fill("input[name=code]", code)
    page.click("form button.primary")
    page.wait_for_url("**/me/consent/")
    page.check("#id_agree")
    page.click("button.primary")
    page.wait_for_url("**/me/face/enroll/")


def test_a_new_customer_enrolls_a_face_with_the_webcam(smilepay_server, tmp_path):
    if not PORTRAIT.exists():
        pytest.skip(f"{PORTRAIT} is missing (SMILEPAY_FACES_DIR)")
    video = make_y4m([face_frame(PORTRAIT, box=PORTRAIT_FACE)], tmp_path / "camera.y4m")
    with chromium_browser(video) as browser:
        context = browser.new_context(permissions=["camera"], base_url=smilepay_server.url)
        page = context.new_page()
        page.set_default_timeout(30_000)
        sign_up_and_consent(
            page, smilepay_server, email="michelle@example.com", phone="+1 202 555 0161"
        )

        started = time.monotonic()
        page.wait_for_selector("#enroll[data-state=done]", timeout=120_000)
        elapsed = time.monotonic() - started
        assert "Face pay is on." in page.inner_text("#enroll-guidance")
        assert page.locator("#enroll-steps li.done").count() == 4  # 3 captures + the check

        page.wait_for_url("**/me/face/", timeout=15_000)
        assert "Face pay is on." in page.inner_text(".status-card")
        print(f"enrollment on the page took {elapsed:.1f}s")

    state = smilepay_server.shell(
        "from accounts.models import User; from accounts.selectors import "
        "customer_face_pay_status as s; u = User.objects.get(email='michelle@example.com'); "
        "x = s(user_id=u.pk); print(x.enabled, x.template_count, u.phone_verified_at is not None)"
    )
    assert state.strip().splitlines()[-1].split() == ["True", "3", "True"]


def test_enrolment_whose_session_ends_goes_to_sign_in_instead_of_retrying_forever(
    smilepay_server, tmp_path
):
    from PIL import Image

    nobody = Image.new("RGB", (640, 480), (128, 128, 128))  # no face: it keeps guiding
    video = make_y4m([nobody], tmp_path / "empty.y4m")
    with chromium_browser(video) as browser:
        context = browser.new_context(permissions=["camera"], base_url=smilepay_server.url)
        page = context.new_page()
        page.set_default_timeout(30_000)
        sign_up_and_consent(
            page, smilepay_server, email="signed.out@example.com", phone="+1 202 555 0162"
        )
        page.wait_for_selector("#enroll[data-state=guiding]")
        context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
        page.wait_for_url("**/accounts/login/?next=/me/face/enroll/")
