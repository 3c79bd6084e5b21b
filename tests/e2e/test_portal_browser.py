"""The customer's phone in a real Chromium (390x844 unless said): a new customer signs up,
goes from the header to the portal, adds demo money (once, however often they click),
sees a kiosk payment appear live with Approve/Decline and disappear when decided
elsewhere, is told of a photo held up in their name, and finds every page usable from
360 to 430 px wide with a real menu.

Payments are made in the server's database from another process (`live.shell`), so the
server runs on Redis: the channel layer carries their events to the open page, as
between web processes in production.

Set SMILEPAY_SCREENSHOTS=docs/screens to keep screenshots of the portal at phone size.
"""

from __future__ import annotations

import re
from functools import partial

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import chromium_browser, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]

snap = partial(e2e.snap, full_page=True)
PHONE = {"width": 390, "height": 844}
EMAIL, PHONE_NUMBER, PASSWORD = "dana@example.com", "+12025550177", "a long enough passphrase"
PORTAL_PAGES = [
    "/me/",
    "/me/wallet/",
    "/me/payments/",
    "/me/activity/",
    "/me/face/",
    "/me/notifications/",
    "/me/settings/",
    "/me/privacy/",
]


def kiosk_payment_for(live, *, amount_minor: int) -> int:
    """A kiosk at Corner Café matched Dana's face: the payment waits for her answer."""
    return int(
        live.shell_value(
            "from payments import services; from merchants.models import Merchant; "
            "from merchants import services as merchant_services; "
            "from accounts.models import User; "
            f"u = User.objects.get(email={EMAIL!r}); "
            "m, _ = Merchant.objects.get_or_create(slug='corner', "
            "defaults={'name': 'Corner Café'}); "
            "k = m.kiosks.first() or merchant_services.kiosk_create(merchant_id=m.pk, "
            "name='Counter 2', "
            "location='Main Street'); "
            f"p = services.payment_create(merchant_id=m.pk, amount_minor={amount_minor}, "
            "currency='USD', kiosk_id=k.pk); "
            "services.payment_start_matching(payment_id=p.pk); "
            "services.payment_match(payment_id=p.pk, customer_id=u.pk); print(p.pk)",
        )
    )


def sign_up(page, live) -> None:
    page.goto("/")
    page.click("text=Create an account")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=full_name]", "Dana Scully")
    page.fill("input[name=phone]", PHONE_NUMBER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/verify-phone/")
    page.fill("input[name=code]", live.sms_codes()[-1])
    page.click("button[type=submit]")
    page.wait_for_url("**/me/consent/")


def test_a_new_customer_adds_demo_money_once_and_answers_a_kiosk_payment_live(live):
    with chromium_browser() as browser:
        phone = browser.new_context(base_url=live.url, viewport=PHONE)
        page = phone.new_page()
        page.set_default_timeout(30_000)
        sign_up(page, live)

        page.click("header a.who")  # the name in the header goes to the portal
        page.wait_for_url("**/me/")
        assert "0.00" in page.inner_text(".kpi")
        page.click("text=Add money")
        page.wait_for_url("**/me/wallet/")
        assert "Demo money." in page.inner_text(".demo-note")
        page.fill("input[name=amount]", "20")
        page.dblclick("#add-money")  # a double click adds the money once
        page.wait_for_selector(".messages li.success")
        assert page.inner_text("#wallet-balance") == "$20.00"
        snap(page, "portal-wallet")
        funded = live.shell_value(
            "from payments.models import WalletFunding; print(WalletFunding.objects.count())"
        )
        assert funded == "1"

        page.goto("/me/")
        page.wait_for_selector(".portal[data-live=true]")
        assert page.inner_text("#pending-list").strip() == "Nothing to confirm."
        first = kiosk_payment_for(live, amount_minor=450)
        card = page.wait_for_selector(f'.pending-card[data-payment-id="{first}"]')
        assert "$4.50" in card.inner_text() and "Corner Café" in card.inner_text()
        assert "Counter 2, Main Street" in card.inner_text()
        snap(page, "portal-pending")

        # Decided elsewhere (another phone): it leaves this page without a reload.
        live.shell(
            "from payments import services; from accounts.models import User; "
            f"services.payment_decline(payment_id={first}, "
            f"customer_id=User.objects.get(email={EMAIL!r}).pk)"
        )
        page.wait_for_selector(f'.pending-card[data-payment-id="{first}"]', state="detached")
        # ... and its outcome reaches the recent payments, also without a reload.
        page.wait_for_function(
            "() => document.getElementById('recent-payments').innerText.includes('$4.50')"
        )
        assert "Declined" in page.inner_text("#recent-payments")

        second = kiosk_payment_for(live, amount_minor=375)
        page.click(f'.pending-card[data-payment-id="{second}"] button[value=approve]')
        page.wait_for_url(f"**/me/payments/{second}/confirm/")
        assert "Paid" in page.inner_text(".confirm-card")
        assert "Approved: you paid $3.75 to Corner Café." in page.inner_text(".messages")
        page.goto("/me/")
        assert "$16.25" in page.inner_text(".kpi")
        # Paid elsewhere: the wallet on this page follows.
        third = kiosk_payment_for(live, amount_minor=125)
        page.wait_for_selector(f'.pending-card[data-payment-id="{third}"]')
        live.shell(
            "from payments import services; from accounts.models import User; "
            f"services.payment_approve(payment_id={third}, "
            f"customer_id=User.objects.get(email={EMAIL!r}).pk)"
        )
        page.wait_for_function("() => document.querySelector('.kpi').innerText.includes('$15.00')")


def test_the_dashboard_reads_the_waiting_payments_again_after_the_connection_comes_back(live):
    live.shell(
        "from accounts.models import User; from django.utils import timezone; "
        f"User.objects.create_user({EMAIL!r}, {PASSWORD!r}, full_name='Dana', "
        f"phone_e164={PHONE_NUMBER!r}, phone_verified_at=timezone.now()); "
        "from payments.services import wallet_topup; "
        f"wallet_topup(user_id=User.objects.get(email={EMAIL!r}).pk, amount_minor=5000)"
    )
    with chromium_browser() as browser:
        # A phone in another time zone than the server's: one deadline, one clock.
        page = browser.new_context(
            base_url=live.url, viewport=PHONE, timezone_id="Pacific/Auckland"
        ).new_page()
        page.set_default_timeout(30_000)
        sign_in(page, EMAIL, PASSWORD)
        page.wait_for_selector(".portal[data-live=true]")
        # The socket drops (a phone leaving the wifi); a payment arrives meanwhile, and
        # its event goes nowhere. Back online, the state message brings it.
        page.evaluate("window.__smilepayHoldConnection()")
        page.wait_for_selector(".portal[data-live=false]")
        payment = kiosk_payment_for(live, amount_minor=250)
        assert page.query_selector(".pending-card") is None
        page.evaluate("window.__smilepayResumeConnection()")
        card = page.wait_for_selector(f'.pending-card[data-payment-id="{payment}"]')
        drawn_live = card.inner_text()
        page.reload()
        drawn_by_server = page.inner_text(f'.pending-card[data-payment-id="{payment}"]')
        assert drawn_live.split("·")[-1].strip() == drawn_by_server.split("·")[-1].strip()


def test_a_photo_held_up_in_the_customers_name_is_on_their_activity_page(live):
    live.shell(
        "from accounts.models import User; from django.utils import timezone; "
        "from payments import services; from merchants.models import Merchant; "
        "from merchants import services as merchant_services; "
        f"u = User.objects.create_user({EMAIL!r}, {PASSWORD!r}, full_name='Dana', "
        f"phone_e164={PHONE_NUMBER!r}, phone_verified_at=timezone.now()); "
        "m = Merchant.objects.create(name='Corner Café', slug='corner'); "
        "k = merchant_services.kiosk_create(merchant_id=m.pk, name='Till 9', "
        "location='Main Street'); "
        "services.recognition_attempt_record(payment_id=None, kiosk_id=k.pk, "
        "outcome='presentation_attack', customer_id=u.pk)"
    )
    with chromium_browser() as browser:
        page = browser.new_context(base_url=live.url, viewport=PHONE).new_page()
        page.set_default_timeout(30_000)
        sign_in(page, EMAIL, PASSWORD, then="/me/activity/")
        item = page.inner_text(".activity-item.spoof")
        assert "Someone tried to pay with a photo or screen showing your face" in item
        assert "Corner Café, Till 9 (Main Street)" in item
        snap(page, "portal-activity-photo-attack")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click(".activity-item.spoof button")
        page.wait_for_selector("text=You reported this")
        assert "Face pay is paused" in page.inner_text(".messages")


# Controls a finger must hit (WCAG 2.5.5's 44 px, less a little for rounding): buttons,
# check boxes (or the label around one, which toggles it too) and the header's links.
# Links inside sentences are exempt there too.
MIN_TARGET_PX = 40
SMALL_TARGETS = f"""() => Array.from(document.querySelectorAll(
    'button, input[type=checkbox], input[type=radio], .topnav a, .portal-links a'))
  .filter(e => e.offsetParent !== null)
  .map(e => [e.textContent.trim() || e.name || e.type, (e.closest('label') || e)])
  .map(([name, e]) => [name, e.getBoundingClientRect()])
  .filter(([, r]) => r.height < {MIN_TARGET_PX} && r.height > 0)
  .map(([name, r]) => name + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))"""


@pytest.mark.parametrize("width", [360, 390, 430])
def test_every_portal_page_fits_a_phone_and_the_menu_reaches_every_section(live, width):
    live.manage("seed_demo", "--quiet")
    password = live.shell_value("from django.conf import settings; print(settings.DEMO_PASSWORD)")
    with chromium_browser() as browser:
        page = browser.new_context(
            base_url=live.url, viewport={"width": width, "height": 844}
        ).new_page()
        page.set_default_timeout(30_000)
        sign_in(page, "customer@example.com", password)
        for path in PORTAL_PAGES:
            page.goto(path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} is {overflow}px wider than a {width}px phone"
            for button in page.query_selector_all("main button:visible"):
                style = button.evaluate(
                    "b => [getComputedStyle(b).borderStyle, getComputedStyle(b).backgroundColor]"
                )
                assert style != ["outset", "rgb(239, 239, 239)"], f"unstyled button on {path}"
            too_small = page.evaluate(SMALL_TARGETS)
            assert not too_small, f"targets under {MIN_TARGET_PX}px on {path}: {too_small}"
            if width == 390:
                snap(page, "portal-" + (re.sub(r"\W+", "-", path.strip("/")[3:]) or "home"))
        page.goto("/me/settings/")
        assert not page.is_visible("a[href='/me/privacy/']")
        page.click(".portal-menu-toggle")
        for path in PORTAL_PAGES:
            assert page.is_visible(f".portal-links a[href='{path}']"), path
        if width == 390:
            snap(page, "portal-menu", full_page=False)
        save = page.query_selector("form.settings button[type=submit]").bounding_box()
        help_text = page.query_selector_all("form.settings small")[-1].bounding_box()
        assert save["y"] >= help_text["y"] + help_text["height"]  # below the help, not inline


ENROLLED_DANA = f"""
from pathlib import Path
from django.conf import settings
from accounts.models import User
from tests.accounts.conftest import enroll
lfw = Path(settings.FACES_DIR) / "lfw-dev" / "Adrien_Brody"
photos = [(lfw / f"Adrien_Brody_{{i:04d}}.jpg").read_bytes() for i in (1, 3, 6, 11)]
from django.utils import timezone
u = User.objects.create_user({EMAIL!r}, {PASSWORD!r}, full_name="Dana",
    phone_e164={PHONE_NUMBER!r}, phone_verified_at=timezone.now())
from accounts import services
services.consent_grant(user_id=u.pk, version=settings.BIOMETRIC_CONSENT_VERSION)
enroll(u, photos[:3], self_check=photos[3])
"""


def test_the_dashboards_face_pay_card_follows_a_pause_made_elsewhere(live):
    live.shell(ENROLLED_DANA)
    with chromium_browser() as browser:
        page = browser.new_context(base_url=live.url, viewport=PHONE).new_page()
        page.set_default_timeout(30_000)
        sign_in(page, EMAIL, PASSWORD)
        page.wait_for_selector(".portal[data-live=true]")
        assert "On" in page.inner_text("#dashboard-kpis")
        # "This wasn't me" on another phone pauses face pay; this page was not touched.
        live.shell(
            "from accounts.models import User; from accounts.services import face_pay_pause; "
            f"face_pay_pause(user_id=User.objects.get(email={EMAIL!r}).pk, reason='test')"
        )
        page.wait_for_function(
            "() => document.getElementById('dashboard-kpis').innerText.includes('Paused')"
        )
