"""SmilePay in French, in a real Chromium whose language is French (Accept-Language and
navigator.language fr-FR): the kiosk at tablet size (pairing, amount, the smile prompts,
the status screens, the shopper's FR/EN toggle that loses nothing), the portal at phone
size (dashboard with a payment arriving live, menu, settings, every page fitting 360 px)
and the merchant dashboard. Text drawn by the scripts comes from the JavaScript catalog.

Set SMILEPAY_SCREENSHOTS=docs/screens to keep the French screenshots next to the English
ones (docs/i18n.md links them).

Payments are matched and decided from another process (`live.shell`), so the servers run
on Redis: the channel layer carries their events to the open pages.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import chromium_browser, keypad_ready, snap

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
FRENCH = {"locale": "fr-FR", "extra_http_headers": {"Accept-Language": "fr-FR,fr;q=0.9"}}
EMAIL, PASSWORD = "dana@example.com", "a long enough passphrase"
NBSP = "\u00a0"
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

SETUP = (
    "from accounts.models import User; from django.utils import timezone; "
    "from payments import services; from merchants.models import Merchant; "
    "from merchants import services as merchant_services; "
    f"u = User.objects.create_user({EMAIL!r}, {PASSWORD!r}, full_name='Dana Scully', "
    "phone_e164='+12025550177', phone_verified_at=timezone.now()); "
    "services.wallet_topup(user_id=u.pk, amount_minor=12_345); "
    "m = Merchant.objects.create(name='Café Rivoli', slug='rivoli'); "
    "k = merchant_services.kiosk_create(merchant_id=m.pk, name='Caisse 1', "
    "location='Rue de Rivoli'); "
    "print(merchant_services.kiosk_issue_pairing_code(kiosk_id=k.pk))"
)


def match_dana(live) -> int:
    """The kiosk's open payment is matched to Dana (as a recognition would)."""
    return int(
        live.shell_value(
            "from payments import services; from payments.models import Payment; "
            "from accounts.models import User; "
            "p = Payment.objects.filter(status='created').latest('pk'); "
            "services.payment_start_matching(payment_id=p.pk); "
            f"u = User.objects.get(email={EMAIL!r}); "
            "services.payment_match(payment_id=p.pk, customer_id=u.pk); print(p.pk)",
        )
    )


def approve(live, payment_id: int) -> None:
    live.shell(
        "from payments import services; from accounts.models import User; "
        f"services.payment_approve(payment_id={payment_id}, "
        f"customer_id=User.objects.get(email={EMAIL!r}).pk)"
    )


def state(page, name: str, timeout: float = 60_000) -> None:
    page.wait_for_selector(f"#app[data-state={name}]", timeout=timeout)


def language(page) -> str:
    return page.evaluate("document.documentElement.lang")


def test_a_french_kiosk_from_pairing_to_paid_with_the_shoppers_toggle(live):
    code = live.shell_value(SETUP)
    with chromium_browser() as browser:
        kiosk = browser.new_context(
            base_url=live.url, viewport=TABLET, permissions=["camera"], **FRENCH
        )
        page = kiosk.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"/kiosk/?code={code}")
        assert language(page) == "fr" and page.inner_text("h1") == "Associer cette borne"
        snap(page, "kiosk-tablet-fr-1-pairing")
        page.click("button[type=submit]")
        keypad_ready(page)
        assert page.inner_text("[data-screen=amount] h1") == "Nouveau paiement"
        for digit in "1250":
            page.click(f'.key[data-key="{digit}"]')
        assert page.inner_text("#amount-display") == f"12,50{NBSP}$US"
        snap(page, "kiosk-tablet-fr-2-amount")

        # The cashier switches the kiosk to English and back: the typed amount stays.
        page.click("[data-language-switcher] button[value=en]")
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        state(page, "amount")
        page.wait_for_function(
            "() => document.getElementById('amount-display').textContent === '$12.50'"
        )
        page.click("[data-language-switcher] button[value=fr]")
        page.wait_for_function("() => document.documentElement.lang === 'fr'")
        page.wait_for_function(
            f"() => document.getElementById('amount-display').textContent === '12,50{NBSP}$US'"
        )

        page.click("#charge")
        state(page, "ready")
        assert "Souriez pour payer" in page.inner_text("#smile")
        snap(page, "kiosk-tablet-fr-3-ready")

        # The smile: the burst's prompts in French, then the outcome (Chromium's own fake
        # camera shows no face).
        prompts = []
        page.expose_function("notePrompt", lambda text: prompts.append(text))
        page.evaluate(
            "new MutationObserver(() => window.notePrompt(document.getElementById('prompt')"
            ".textContent)).observe(document.getElementById('prompt'), "
            "{childList: true, characterData: true, subtree: true})"
        )
        page.click("#smile")
        state(page, "failed", timeout=120_000)
        assert "Regardez la caméra" in prompts and "Maintenant, souriez 😊" in prompts, prompts
        assert page.inner_text("#failed-title") == "Nous n\u2019avons pas vu de visage"
        assert page.inner_text("#retry") == "Réessayer"
        snap(page, "kiosk-tablet-fr-4-no-face")

        # A shopper switches to English: same payment, same screen, in English...
        page.click("[data-language-switcher] button[value=en]")
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        state(page, "failed")
        page.wait_for_function(
            "() => document.getElementById('failed-title').textContent"
            ' === "We couldn\'t see a face"'
        )
        # ...and once that payment is over, the kiosk is French again for the next one.
        page.click("[data-screen=failed] [data-action=cancel]")
        page.wait_for_function("() => document.documentElement.lang === 'fr'")
        keypad_ready(page)
        assert page.inner_text("#amount-display") == f"0,00{NBSP}$US"

        for digit in "375":
            page.click(f'.key[data-key="{digit}"]')
        page.click("#charge")
        state(page, "ready")
        payment_id = match_dana(live)
        state(page, "confirm")
        assert page.inner_text("[data-screen=confirm] h1") == "Confirmez sur votre téléphone"
        assert page.inner_text('[data-screen=confirm] [data-bind="amount"]') == f"3,75{NBSP}$US"
        snap(page, "kiosk-tablet-fr-5-confirm-on-phone")
        approve(live, payment_id)
        state(page, "done")
        assert page.inner_text("#outcome-title") == "Payé"
        assert page.inner_text("#next") == "Client suivant"
        snap(page, "kiosk-tablet-fr-6-paid")


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    assert page.inner_text("main h1") == "Se connecter"
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


def test_a_french_customer_reads_the_portal_on_a_phone_and_answers_live(live):
    live.shell_value(SETUP)
    with chromium_browser() as browser:
        page = browser.new_context(base_url=live.url, viewport=PHONE, **FRENCH).new_page()
        page.set_default_timeout(30_000)
        sign_in(page, EMAIL, PASSWORD)
        page.wait_for_url("**/me/")
        assert language(page) == "fr"
        assert page.inner_text("main h1") == "Bonjour Dana"
        assert f"123,45{NBSP}$US" in page.inner_text(".kpi")
        page.wait_for_selector(".portal[data-live=true]")
        # dashboard.js explains, from the JavaScript catalog, that no phone gets pushes.
        note = page.wait_for_selector("#push-note:not([hidden])")
        assert note.inner_text().startswith("Aucun téléphone ne reçoit encore de notifications")
        assert page.inner_text("#pending-list").strip() == "Rien à confirmer."

        # A kiosk payment arrives live: the card is drawn by dashboard.js, in French.
        live.shell(
            "from payments import services; from merchants.models import Merchant, Kiosk; "
            "k = Kiosk.objects.get(name='Caisse 1'); "
            "p = services.payment_create(merchant_id=k.merchant_id, amount_minor=375, "
            "currency='USD', kiosk_id=k.pk)"
        )
        payment_id = match_dana(live)
        card = page.wait_for_selector(f'.pending-card[data-payment-id="{payment_id}"]')
        text = card.inner_text()
        assert f"3,75{NBSP}$US" in text and "chez Café Rivoli" in text
        assert "Caisse 1, Rue de Rivoli · répondez avant" in text
        assert card.query_selector("button[value=approve]").inner_text() == "Accepter"
        snap(page, "portal-fr-pending", full_page=True)

        page.click(".portal-menu-toggle")
        for path in PORTAL_PAGES:
            assert page.is_visible(f".portal-links a[href='{path}']"), path
        assert page.inner_text(".portal-links a[href='/me/wallet/']") == "Porte-monnaie"
        snap(page, "portal-fr-menu")
        page.click(f'.pending-card[data-payment-id="{payment_id}"] button[value=approve]')
        page.wait_for_url(f"**/me/payments/{payment_id}/confirm/")

        page.goto("/me/settings/")
        assert page.inner_text("main h1") == "Réglages du paiement par le visage"
        snap(page, "portal-fr-settings", full_page=True)
        page.goto("/me/wallet/")
        assert page.inner_text("main h1") == "Votre porte-monnaie"
        snap(page, "portal-fr-wallet", full_page=True)
        page.goto("/me/notifications/")
        page.wait_for_function(
            "() => document.getElementById('push-state').textContent"
            " !== 'Vérification de cet appareil…'"
        )
        assert "notifications" in page.inner_text("#push-state").lower()
        assert not re.search(r"\b(This|the|device|browser)\b", page.inner_text("#push-state"))
        snap(page, "portal-fr-notifications", full_page=True)
        page.goto("/me/privacy/")
        snap(page, "portal-fr-privacy", full_page=True)
        page.goto("/me/")
        snap(page, "portal-fr-home", full_page=True)


def test_every_french_portal_page_fits_the_narrowest_phone(live):
    live.shell_value(SETUP)
    with chromium_browser() as browser:
        page = browser.new_context(
            base_url=live.url, viewport={"width": 360, "height": 800}, **FRENCH
        ).new_page()
        page.set_default_timeout(30_000)
        sign_in(page, EMAIL, PASSWORD)
        page.wait_for_url("**/me/")
        for path in [*PORTAL_PAGES, "/me/consent/", "/accounts/signup/"]:
            page.goto(path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} is {overflow}px wider than a 360px phone in French"


def test_french_merchant_staff_read_their_dashboard(live):
    live.manage("seed_demo", "--quiet")
    password = live.shell_value("from django.conf import settings; print(settings.DEMO_PASSWORD)")
    with chromium_browser() as browser:
        page = browser.new_context(base_url=live.url, viewport=DESK, **FRENCH).new_page()
        page.set_default_timeout(30_000)
        sign_in(page, "staff@demo-cafe.example", password)
        page.wait_for_url("**/merchant/")
        assert language(page) == "fr"
        nav = page.inner_text(".subnav")
        for word in ("Tableau de bord", "Paiements", "Bornes", "Clés API"):
            assert word in nav
        kpis = page.inner_text(".kpis")
        assert "Taux de réussite" in kpis and re.search(r"\d\u00a0%", kpis), kpis
        snap(page, "merchant-fr-dashboard", full_page=True)
        page.click(".subnav >> text=Bornes")
        assert page.is_visible("text=Ajouter une borne")
        snap(page, "merchant-fr-kiosks", full_page=True)
        page.set_viewport_size(PHONE)
        for path in ["/merchant/", "/merchant/payments/", "/merchant/kiosks/"]:
            page.goto(path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} is {overflow}px too wide in French"
