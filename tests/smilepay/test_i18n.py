"""English by default, French when the browser asks or the visitor chooses it: the
switcher in every layout, the cookie that remembers it, the JavaScript catalog of each
language, dates in the language's formats, and websockets that speak the page's language."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from tests.accounts.socket_helpers import customer_socket, signed_in_client
from tests.payments import factories as f
from tests.services import REPO, clean_env, python

pytestmark = pytest.mark.django_db

FRENCH_HOME = "Payez avec un sourire"
ENGLISH_HOME = "Pay with a smile"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode())[1]


def test_a_browser_that_asks_for_no_language_we_have_gets_english(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,ja;q=0.5")
    assert html_lang(page) == "en" and ENGLISH_HOME in page.content.decode()
    assert html_lang(client.get("/")) == "en"


def test_a_browser_that_prefers_french_gets_french(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5")
    assert html_lang(page) == "fr" and FRENCH_HOME in page.content.decode()
    assert "Accept-Language" in page["Vary"]


def test_the_switcher_keeps_the_choice_in_a_cookie_over_the_browsers_language(client):
    answer = client.post("/i18n/language/", {"language": "fr", "next": "/accounts/login/"})
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/"
    cookie = answer.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="en-US")) == "fr"
    client.post("/i18n/language/", {"language": "en", "next": "/"})
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="fr")) == "en"


def test_the_switcher_never_sends_anyone_to_another_site(client):
    answer = client.post("/i18n/language/", {"language": "fr", "next": "https://evil.example/"})
    assert answer["Location"] == "/"
    answer = client.post("/i18n/language/", {"language": "xx", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies


@pytest.mark.slow
def test_the_language_cookie_is_secure_in_production(tmp_path):
    probe = "import django; from django.conf import settings; django.setup(); "
    probe += "print(settings.LANGUAGE_COOKIE_SECURE)"
    result = subprocess.run(
        [python(), "-c", probe],
        cwd=REPO,
        env=clean_env(
            DJANGO_SETTINGS_MODULE="smilepay.settings",
            SMILEPAY_LOCAL_DIR=str(tmp_path),
            HTTPS="true",
            ALLOW_CONSOLE_MESSAGES="true",
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "True"


@pytest.mark.slow
def test_a_default_language_we_do_not_have_stops_django_at_start_up(tmp_path):
    result = subprocess.run(
        [python(), "-c", "import django; django.setup()"],
        cwd=REPO,
        env=clean_env(
            DJANGO_SETTINGS_MODULE="smilepay.settings",
            SMILEPAY_LOCAL_DIR=str(tmp_path),
            LANGUAGE_CODE="de",
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "LANGUAGE_CODE='de'" in result.stderr


def switcher_of(html: str) -> str:
    match = re.search(r"<form class=\"language-switcher\".*?</form>", html, re.S)
    assert match, "no language switcher on this page"
    return match[0]


def test_every_layout_has_the_switcher_marking_the_current_language(client):
    cafe = f.merchant(name="Café Rivoli")
    owner = f.staff(cafe)
    casey = f.customer()
    pages = {"site": ("/", None), "portal": ("/me/", casey), "merchant": ("/merchant/", owner)}
    for layout, (path, user) in pages.items():
        if user:
            client.force_login(user)
        page = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
        assert page.status_code == 200, layout
        switcher = switcher_of(page.content.decode())
        assert f'name="next" value="{path}"' in switcher, layout
        assert re.search(r'value="fr"[^>]*class="link current"[^>]*aria-pressed="true"', switcher)
        assert re.search(r'value="en"[^>]*aria-pressed="false"', switcher), layout
        # Each language named in itself: someone lost in French finds "English".
        assert 'lang="en" aria-label="English"' in switcher, layout
        assert 'lang="fr" aria-label="Français"' in switcher, layout
        client.logout()
    kiosk_pairing = client.get("/kiosk/?code=ABCD2345", HTTP_ACCEPT_LANGUAGE="fr")
    assert 'value="/kiosk/?code=ABCD2345"' in switcher_of(kiosk_pairing.content.decode())


def test_the_paired_kiosk_has_the_shoppers_toggle_and_its_script(client):
    from merchants import services as merchant_services

    cafe = f.merchant(name="Café Rivoli")
    kiosk = f.kiosk(cafe, name="Caisse 1")
    code = merchant_services.kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
    client.post("/kiosk/pair", {"code": code}, HTTP_ACCEPT_LANGUAGE="fr")
    page = client.get("/kiosk/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'id="app"' in page and "Nouveau paiement" in page
    assert 'value="/kiosk/"' in switcher_of(page) and "kiosk/language.js" in page
    assert '<script src="/i18n/js/fr/"' in page


def test_the_portal_loads_the_javascript_catalog_of_its_language(client):
    client.force_login(f.customer())
    french = client.get("/me/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<script src="/i18n/js/fr/"' in french
    assert '<script src="/i18n/js/en/"' in client.get("/me/").content.decode()


def test_the_javascript_catalog_of_each_language_is_served_and_revalidated(client):
    french = client.get("/i18n/js/fr/")
    assert french.status_code == 200 and french["Content-Type"].startswith("text/javascript")
    body = french.content.decode()
    assert '"Look at the camera": "Regardez la cam\\u00e9ra"' in body
    assert "django.pluralidx" in body and "(n > 1)" in body
    english = client.get("/i18n/js/en/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Regardez" not in english  # the URL's language, whatever the browser says
    assert "max-age=3600" in french["Cache-Control"]
    again = client.get("/i18n/js/fr/", HTTP_IF_NONE_MATCH=french["ETag"])
    assert again.status_code == 304
    assert client.get("/i18n/js/de/").status_code == 404


def test_dates_are_written_in_each_languages_formats():
    moment = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
    template = Template(
        '{{ d|date:"DATE_FORMAT" }}|{{ d|date:"SHORT_DATETIME_FORMAT" }}|'
        '{{ d|date:"MONTH_DAY_FORMAT" }}, {{ d|time:"TIME_FORMAT" }}'
    )
    with translation.override("en"):
        assert template.render(Context({"d": moment})) == "7 Dec 2026|2026-12-07 14:30|7 Dec, 14:30"
    with translation.override("fr"):
        assert (
            template.render(Context({"d": moment})) == "7 déc. 2026|07/12/2026 14:30|7 déc., 14:30"
        )


def test_portal_amounts_and_dates_follow_the_language(client):
    cafe = f.merchant(name="Café Rivoli")
    casey = f.customer(balance_minor=123456)
    client.force_login(casey)
    french = client.get("/me/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "1\u202f234,56\u00a0$US" in french
    assert "$1,234.56" in client.get("/me/").content.decode()
    f.paid_payment(cafe, casey, amount_minor=450)
    rows = client.get("/me/payments/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "4,50\u00a0$US" in rows


def test_the_merchant_success_rate_is_a_percentage_in_the_language(client):
    cafe = f.merchant(name="Café Rivoli")
    client.force_login(f.staff(cafe))
    f.paid_payment(cafe, f.customer(balance_minor=5000), amount_minor=450)
    assert "100\u00a0%" in client.get("/merchant/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "100%" in client.get("/merchant/").content.decode()


@pytest.mark.django_db(transaction=True)  # the consumer reads from threads of its own
def test_the_customer_websocket_speaks_the_pages_language():
    cafe = f.merchant(name="Café Rivoli")
    casey = f.customer(balance_minor=5000)
    f.matched_payment(cafe, casey, amount_minor=450, kiosk_=f.kiosk(cafe, name="Caisse 2"))
    browser = signed_in_client(casey)

    async def first_state(accept_language: str) -> dict:
        socket = customer_socket(browser)
        socket.scope["headers"].append((b"accept-language", accept_language.encode()))
        connected, _ = await socket.connect()
        assert connected
        try:
            while True:
                message = await socket.receive_json_from(timeout=10)
                if message.get("type") == "state":
                    return message
        finally:
            await socket.disconnect()

    [french] = async_to_sync(first_state)("fr-FR,fr;q=0.9")["pending"]
    assert french["amount"] == "4,50\u00a0$US"
    [english] = async_to_sync(first_state)("en")["pending"]
    assert english["amount"] == "$4.50"


def test_the_admin_stays_english_for_an_operator_whose_browser_asks_for_french(admin_client):
    page = admin_client.get("/admin/payments/ledgeraccount/", HTTP_ACCEPT_LANGUAGE="fr")
    assert html_lang(page) == "en"
    assert "Select ledger account to view" in page.content.decode()
    # Outside the admin the same browser still gets French.
    assert html_lang(admin_client.get("/", HTTP_ACCEPT_LANGUAGE="fr")) == "fr"
