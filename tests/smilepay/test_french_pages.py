"""Every main page, asked for in French (Accept-Language: fr), shows no English: the text a
person reads (tags, scripts and styles stripped; titles, placeholders, labels for screen
readers and confirmation questions kept) must hold none of the English words and phrases
below. The data is French-neutral (Café Rivoli, Caisse 1, Rue de Rivoli), so that any
English found comes from the code.

The pages whose words come from Python (form labels, status and event words, messages,
the consent text, the merchant charts) are walked too: the second i18n pass translated
them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from merchants import services as merchant_services
from payments import services
from smilepay import error_views
from tests.accounts.conftest import make_customer
from tests.payments import factories as f

pytestmark = pytest.mark.django_db

# Whole words, case-sensitive: common English words no French sentence uses, and the
# words of SmilePay's own English interface. Words French shares ("page", "Menu",
# "Description", "Version", "Notifications", "Distance", "Code", "Total", "face", "on",
# "a") are left out.
ENGLISH = [
    "the",
    "The",
    "your",
    "Your",
    "you",
    "You",
    "and",
    "with",
    "of",
    "to",
    "is",
    "are",
    "for",
    "not",
    "Not",
    "this",
    "This",
    "that",
    "yet",
    "here",
    "was",
    "has",
    "have",
    "will",
    "can",
    "before",
    "after",
    "more",
    "at",
    "in",
    "by",
    "or",
    "No",
    "Yes",
    "Sign",
    "Create",
    "account",
    "Save",
    "Delete",
    "Cancel",
    "Approve",
    "Decline",
    "Wallet",
    "Settings",
    "Privacy",
    "Kiosk",
    "kiosk",
    "Merchant",
    "Dashboard",
    "Refund",
    "Amount",
    "When",
    "Where",
    "Password",
    "Email",
    "Phone",
    "phone",
    "Back",
    "Continue",
    "Payment",
    "Payments",
    "payment",
    "Paid",
    "Hello",
    "Home",
    "Pair",
    "Add",
    "Enter",
    "Please",
    "Status",
    "Created",
    "Reason",
    "Try again",
    "Face pay",
    "money",
    "Smile",
    "smile",
]
WORDS = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")
# <code> holds machine codes shown on purpose next to their words (a webhook's event type,
# as the API sends it): codes stay English.
HIDDEN = ("script", "style", "template", "code")
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "data-confirm", "alt"}


class VisibleText(HTMLParser):
    """The text of a page as a person meets it: no scripts, styles or markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self._hidden += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.parts.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag):
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_in(html: str) -> list[str]:
    text = visible_text(html)
    # The language switcher names each language in itself ("English"); code values such
    # as the pairing code's placeholder are not words.
    return sorted({match[1] for match in WORDS.finditer(text)})


@pytest.fixture
def world():
    cafe = f.merchant(name="Café Rivoli")
    owner = f.staff(cafe)
    caisse = merchant_services.kiosk_create(
        merchant_id=cafe.pk, name="Caisse 1", location="Rue de Rivoli"
    )
    dana = make_customer("dana@example.com", "+12025550177", name="Dana Scully", consent=True)
    services.wallet_topup(user_id=dana.pk, amount_minor=12_345)
    paid = f.paid_payment(cafe, dana, amount_minor=450)
    waiting = f.matched_payment(cafe, dana, amount_minor=375, kiosk_=caisse)
    services.recognition_attempt_record(
        payment_id=waiting.pk, kiosk_id=caisse.pk, outcome="matched", customer_id=dana.pk
    )
    return {
        "cafe": cafe,
        "owner": owner,
        "dana": dana,
        "paid": paid,
        "waiting": waiting,
        "caisse": caisse,
    }


def french(client: Client, path: str):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert response.status_code in (200, 400, 403, 404), (path, response.status_code)
    assert '<html lang="fr">' in response.content.decode(), path
    return response.content.decode()


def walk(client: Client, paths: list[str]) -> dict[str, list[str]]:
    found = {path: english_in(french(client, path)) for path in paths}
    return {path: words for path, words in found.items() if words}


# --- pages the templates and scripts alone make -------------------------------------------


def test_the_public_pages_and_the_error_pages_are_all_french(client):
    assert walk(client, ["/", "/accounts/password-reset/", "/kiosk/", "/no-such-page/"]) == {}


def test_the_portal_pages_of_a_signed_in_customer_are_all_french(client, world):
    client.force_login(world["dana"])
    paths = ["/me/wallet/", "/me/notifications/", "/me/privacy/", "/me/face/", "/me/face/enroll/"]
    paths.append(f"/me/payments/{world['waiting'].pk}/confirm/")
    assert walk(client, paths) == {}


def test_the_dashboard_of_a_new_customer_is_all_french(client):
    client.force_login(make_customer("eve@example.com", "+12025550178", name="Ève"))
    assert walk(client, ["/me/"]) == {}


def test_the_merchant_site_refusing_a_customer_is_french(client, world):
    client.force_login(world["dana"])
    assert walk(client, ["/merchant/"]) == {}


def test_the_merchant_pages_of_an_owner_are_all_french(client, world):
    client.force_login(world["owner"])
    assert walk(client, ["/merchant/api-keys/"]) == {}


def test_the_paired_kiosk_is_all_french(client, world):
    code = merchant_services.kiosk_issue_pairing_code(kiosk_id=world["caisse"].pk)
    client.post("/kiosk/pair", {"code": code}, HTTP_ACCEPT_LANGUAGE="fr")
    assert walk(client, ["/kiosk/"]) == {}


def test_the_error_pages_made_without_the_site_are_french():
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="fr")
    with translation.override("fr"):
        pages = [
            error_views.bad_request(request),
            error_views.permission_denied(request),
            error_views.csrf_failure(request),
            error_views.server_error(request),
        ]
    for page in pages:
        assert english_in(page.content.decode()) == [], page.status_code


def test_a_stale_form_is_refused_in_french():
    browser = Client(enforce_csrf_checks=True)
    refused = browser.post("/accounts/login/", {}, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 403 and english_in(refused.content.decode()) == []


def test_the_word_list_finds_english_left_on_a_page():
    page = "<p>Votre <b>porte-monnaie</b></p><button title='Delete this'>Supprimer</button>"
    assert english_in(page) == ["Delete", "this"]
    assert english_in("<script>var the = 1;</script><p>Le paiement</p>") == []


# --- pages whose words come from Python (form labels, status words, messages) ------------


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_the_sign_in_and_sign_up_forms_are_french(client, path):
    assert walk(client, [path]) == {}


def test_the_french_sign_up_says_e_mail_as_the_sign_in_does():
    """Not Django's own "Courriel" for a label that shares its English ("Email")."""
    page = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/accounts/signup/").content.decode()
    assert "Votre e-mail" in page and "Courriel" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/me/",  # status labels of the recent payments (payments/labels.py)
        "/me/payments/",  # status labels (payments/labels.py)
        "/me/activity/",  # the attempt sentences (payments/labels.py)
        "/me/settings/",  # the settings form's labels and help
        "/me/consent/",  # the consent text (accounts/consent.py)
        "/me/privacy/delete-account/",  # the form's labels
    ],
)
def test_the_portal_pages_with_python_strings_are_french(client, world, path):
    client.force_login(world["dana"])
    assert walk(client, [path]) == {}


@pytest.mark.parametrize(
    "path",
    [
        "/merchant/",  # the charts' titles and days, the outcome labels
        "/merchant/payments/",  # the filter form, status and reason labels
        "PAYMENT",  # the audit trail's event words, the refund form
        "/merchant/checkout/",  # the form's labels
        "/merchant/kiosks/",  # the new kiosk form's labels
        "/merchant/webhooks/",  # the new endpoint form's labels and event names
    ],
)
def test_the_merchant_pages_with_python_strings_are_french(client, world, path):
    client.force_login(world["owner"])
    if path == "PAYMENT":
        path = f"/merchant/payments/{world['paid'].pk}/"
    assert walk(client, [path]) == {}


def test_one_english_word_with_two_meanings_gets_the_right_french_each_time(client, world):
    """ "From" is a date on the payment filter and a network address in the consent
    history: the second has a context of its own, so neither takes the other's word."""
    client.force_login(world["owner"])
    payments = client.get("/merchant/payments/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert ">Depuis<" in payments and "Provenance" not in payments


def test_the_merchant_pages_behind_the_lists_are_all_french(client, world):
    from merchants.models import WebhookEndpoint
    from payments.models import WebhookDelivery

    endpoint = WebhookEndpoint.objects.create(
        merchant=world["cafe"],
        url="https://boutique.example/crochet",
        secret="s",
        event_types=["payment.succeeded"],
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint, payment=world["paid"], event_type="payment.succeeded", payload={}
    )
    client.force_login(world["owner"])
    paths = [
        f"/merchant/webhooks/{endpoint.pk}/",
        "/merchant/payments/?date_from=0001-01-01&status=nonsense",  # the filter's errors
    ]
    assert walk(client, paths) == {}
    pairing = client.post(f"/merchant/kiosks/{world['caisse'].pk}/pair/", HTTP_ACCEPT_LANGUAGE="fr")
    assert english_in(pairing.content.decode()) == []


def test_an_online_payment_waiting_for_the_customer_is_all_french(client, world):
    from tests.payments.online_helpers import online_request

    waiting = online_request(world["cafe"], world["dana"], description="Café en grains")
    client.force_login(world["dana"])
    assert walk(client, [f"/me/payments/{waiting.pk}/confirm/"]) == {}


def test_a_french_sign_up_lands_on_a_french_phone_check_with_a_french_welcome(client):
    fields = {
        "email": "lea@example.com",
        "full_name": "Léa Martin",
        "phone": "+33612345678",
        "password": "correct horse battery",
    }
    refused = client.post("/accounts/signup/", {}, HTTP_ACCEPT_LANGUAGE="fr")
    assert english_in(refused.content.decode()) == []
    page = client.post("/accounts/signup/", fields, HTTP_ACCEPT_LANGUAGE="fr", follow=True)
    html = page.content.decode()
    assert "Bienvenue" in html and english_in(html) == []


def test_the_messages_after_saving_the_settings_are_french(client, world):
    client.force_login(world["dana"])
    data = {"per_payment_limit": "", "daily_limit": "", "auto_approve_below": "0"}
    page = client.post("/me/settings/", data, HTTP_ACCEPT_LANGUAGE="fr", follow=True)
    html = page.content.decode()
    assert "Réglages enregistrés." in html and english_in(html) == []


def test_the_kiosks_errors_are_french(client, world):
    unpaired = client.post("/kiosk/api/payments", {}, HTTP_ACCEPT_LANGUAGE="fr")
    assert unpaired.status_code == 401
    assert unpaired.json()["error"]["code"] == "not_paired"  # codes stay English
    assert english_in(unpaired.json()["error"]["message"]) == []
    code = merchant_services.kiosk_issue_pairing_code(kiosk_id=world["caisse"].pk)
    client.post("/kiosk/pair", {"code": code}, HTTP_ACCEPT_LANGUAGE="fr")
    missing = client.post("/kiosk/api/payments/999999/cancel", HTTP_ACCEPT_LANGUAGE="fr")
    assert missing.status_code == 404
    assert english_in(missing.json()["error"]["message"]) == []
