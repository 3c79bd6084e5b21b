"""The kiosk's amount entry in Chromium: a physical keyboard types, the amount stops at
the shop's maximum payment (here $50.00) with a message instead of growing, and a ghost
tap from the screen before does not type."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import chromium_browser, start_live_server

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SETUP = (
    "from payments import services; from merchants.models import Merchant; "
    "from merchants import services as merchant_services; "
    "cafe = Merchant.objects.create(name='Keypad Café', slug='keypad-cafe', "
    "max_payment_minor=5000); "
    "kiosk = merchant_services.kiosk_create(merchant_id=cafe.pk, name='Counter'); "
    "print(merchant_services.kiosk_issue_pairing_code(kiosk_id=kiosk.pk))"
)


def test_a_cashier_types_the_amount_on_a_keyboard_up_to_the_shops_maximum(tmp_path):
    with start_live_server(tmp_path / "live") as live:
        code = live.shell(SETUP).strip().splitlines()[-1]
        with chromium_browser() as browser:
            page = browser.new_page(base_url=live.url)
            page.set_default_timeout(30_000)
            page.goto(f"/kiosk/?code={code}")
            page.click("button[type=submit]")
            page.wait_for_selector("#app[data-state=amount]")
            display = page.locator("#amount-display")
            page.keyboard.type("1234")
            assert display.inner_text() == "$12.34"
            page.keyboard.press("5")  # 123.45 would pass the shop's 50.00
            assert display.inner_text() == "$12.34"
            hint = page.locator("#amount-hint")
            assert hint.is_visible()
            assert "$50.00" in hint.inner_text()
            page.keyboard.press("Backspace")
            assert display.inner_text() == "$1.23"
            page.keyboard.press("Escape")
            assert display.inner_text() == "$0.00"
            page.keyboard.type("4500")
            page.keyboard.press("Enter")
            page.wait_for_selector("#app[data-state=ready]")
            amount = page.locator('[data-screen=ready] [data-bind="amount"]')
            assert amount.inner_text() == "$45.00"

            # A double tap on Cancel: the second tap lands on the keypad of the screen
            # that replaced it, and must not type the key under it.
            page.click("[data-screen=ready] [data-action=cancel]")
            page.click('.key[data-key="8"]')  # as soon as the keypad shows
            assert display.inner_text() == "$0.00"
            assert hint.inner_text() == "Canceled: $45.00 was not charged."
            page.keyboard.type("8")
            assert display.inner_text() == "$0.08"
