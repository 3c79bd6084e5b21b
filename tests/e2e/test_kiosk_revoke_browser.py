"""A paired kiosk page is open in Chromium; the merchant revokes the kiosk on the merchant
site (another browser); the kiosk page shows the pairing screen by itself, no click."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import chromium_browser

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SETUP = """
from django.contrib.auth import get_user_model
from merchants.models import Kiosk, Merchant, MerchantMembership
from merchants.services import kiosk_issue_pairing_code
merchant = Merchant.objects.create(name="Corner Café", slug="corner-cafe")
kiosk = Kiosk.objects.create(merchant=merchant, name="Counter 1")
owner = get_user_model().objects.create_user("owner@cafe.example", "owner passphrase 1")
MerchantMembership.objects.create(merchant=merchant, user=owner, role="owner")
print("CODE", kiosk_issue_pairing_code(kiosk_id=kiosk.pk))
"""


def test_a_revoked_kiosk_page_shows_the_pairing_screen_without_a_click(smilepay_server):
    live = smilepay_server
    code = live.shell(SETUP).split("CODE ")[1].strip()
    with chromium_browser() as browser:
        kiosk = browser.new_context(base_url=live.url).new_page()
        kiosk.goto(f"/kiosk/?code={code}")
        kiosk.click("button[type=submit]")
        kiosk.wait_for_selector("#app[data-state=amount]", timeout=60_000)
        kiosk.wait_for_selector("#connection.live", timeout=60_000)

        merchant = browser.new_context(base_url=live.url).new_page()
        merchant.goto("/accounts/login/?next=/merchant/kiosks/")
        merchant.fill("input[name=username]", "owner@cafe.example")
        merchant.fill("input[name=password]", "owner passphrase 1")
        merchant.click("button[type=submit]")
        merchant.wait_for_url("**/merchant/kiosks/", timeout=60_000)
        merchant.once("dialog", lambda dialog: dialog.accept())
        merchant.click("button:has-text('Revoke')")
        merchant.wait_for_selector("text=revoked", timeout=60_000)

        # Nobody touches the kiosk page: it must change on its own.
        kiosk.wait_for_selector("text=Pair this kiosk", timeout=60_000)
        assert "no longer paired with its kiosk" in kiosk.inner_text(".kiosk-notice")
        assert kiosk.locator("#keypad").count() == 0
        assert kiosk.locator("#connection.live").count() == 0
