"""The merchant site in a real Chromium: staff land on it after signing in, read the
charts (labels big enough, a tooltip on hover), create a kiosk and get its pairing code
and QR at once, read payments and the audit trail in words, and read rendered API docs.

Set SMILEPAY_SCREENSHOTS=docs/screens to keep screenshots of the merchant site.
"""

from __future__ import annotations

import re
from functools import partial

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import chromium_browser

pytestmark = [pytest.mark.browser, pytest.mark.integration]

snap = partial(e2e.snap, full_page=True)
DESK = {"width": 1280, "height": 900}
SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")


@pytest.fixture
def demo(smilepay_server):
    smilepay_server.manage("seed_demo", "--quiet")
    password = smilepay_server.shell(
        "from django.conf import settings; print(settings.DEMO_PASSWORD)"
    ).strip()
    return smilepay_server, password


def sign_in_as_staff(browser, live, password, viewport):
    page = browser.new_context(base_url=live.url, viewport=viewport).new_page()
    page.set_default_timeout(30_000)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "staff@demo-cafe.example")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/merchant/")
    return page


def test_staff_read_the_dashboard_create_a_kiosk_and_read_payments_in_words(demo):
    live, password = demo
    live.shell(
        "from payments import services; from merchants.models import Kiosk; "
        "k = Kiosk.objects.get(name='Counter 1'); "
        "p = services.payment_create(merchant_id=k.merchant_id, amount_minor=990, "
        "currency='USD', kiosk_id=k.pk); "
        "services.payment_cancel(payment_id=p.pk, reason='canceled_at_kiosk')"
    )
    with chromium_browser() as browser:
        page = sign_in_as_staff(browser, live, password, DESK)
        assert page.is_visible("header a[href='/merchant/']")
        label = page.query_selector(".chart text")
        assert float(label.evaluate("t => t.getBoundingClientRect().height")) >= 11
        bar = page.query_selector_all(".chart .pt")[-1]
        assert not bar.query_selector(".tip").is_visible()
        bar.hover()
        assert bar.query_selector(".tip").is_visible()
        assert re.match(r"\d{1,2} \w{3}: [\d,.]+", bar.query_selector(".tip text").text_content())
        snap(page, "merchant-dashboard")

        page.click("text=Kiosks")
        page.fill("input[name=name]", "Terrace")
        page.click("text=Create kiosk")
        code = page.inner_text(".code-big")
        assert re.fullmatch(r"[A-Z0-9]{6,12}", code), code
        assert page.is_visible(".qr svg")
        snap(page, "merchant-kiosk-pairing")

        page.click("text=Payments")
        text = page.inner_text("main")
        assert "canceled at the kiosk" in text
        assert not SNAKE_CASE.search(text), SNAKE_CASE.findall(text)
        snap(page, "merchant-payments")

        page.click("table.list a >> nth=-1")  # the oldest: a seeded, paid one
        detail = page.inner_text("main")
        assert "Customer asked to confirm" in detail and "=" not in detail
        assert not SNAKE_CASE.search(detail), SNAKE_CASE.findall(detail)

        page.click("text=API docs")
        docs = page.inner_text("main")
        assert "* `" not in docs and "kiosk - Kiosk" in docs
        snap(page, "merchant-api-docs", full_page=False)


def test_the_merchant_dashboard_fits_a_phone(demo):
    live, password = demo
    with chromium_browser() as browser:
        page = sign_in_as_staff(browser, live, password, {"width": 390, "height": 844})
        for path in ["/merchant/", "/merchant/payments/", "/merchant/kiosks/", "/api/docs/"]:
            page.goto(path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} is {overflow}px too wide"
        page.goto("/merchant/")
        label = page.query_selector(".chart text")
        assert float(label.evaluate("t => t.getBoundingClientRect().height")) >= 10
        snap(page, "merchant-dashboard-phone")


def test_staff_refund_part_of_a_payment_after_reading_the_amount_back_in_money(demo):
    live, password = demo
    paid = live.shell(
        "from payments.models import Payment; "
        "p = Payment.objects.filter(status='succeeded', merchant__name='Demo Café')"
        ".order_by('pk').first(); print(p.pk, p.amount_minor)"
    ).split()
    payment_id, amount_minor = int(paid[0]), int(paid[1])
    with chromium_browser() as browser:
        page = sign_in_as_staff(browser, live, password, DESK)
        page.goto(f"/merchant/payments/{payment_id}/")
        page.fill("input[name=amount]", "abc")
        page.click("text=Review refund")
        assert page.is_visible(".errorlist")  # nothing refunded on a mistyped amount
        page.fill("input[name=amount]", "0.50")
        page.click("text=Review refund")
        assert "$0.50" in page.inner_text(".refund-confirm")
        snap(page, "merchant-refund-confirm", full_page=False)
        page.click("button.danger")
        page.wait_for_url(f"**/merchant/payments/{payment_id}/")
        assert "$0.50" in page.inner_text("main")
    refunded = live.shell(
        f"from payments.models import Payment; print(Payment.objects.get(pk={payment_id})"
        ".refunded_minor)"
    )
    assert int(refunded) == 50 < amount_minor


def test_a_missing_page_on_a_phone_is_styled_and_leads_home(demo):
    live, _password = demo
    with chromium_browser() as browser:
        page = browser.new_context(base_url=live.url, viewport={"width": 390, "height": 844})
        page = page.new_page()
        response = page.goto("/merchant/payments/999999999/nothing-here/")
        assert response.status == 404
        assert page.is_visible(".error-page h1")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        page.click("text=Go to the home page")
        page.wait_for_url(f"{live.url}/")
