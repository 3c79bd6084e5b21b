"""Texts that reach a person away from any page (SMS, Web Push, e-mail) are written in
their own language: the one of the page they signed up on, or the one they last chose with
the switcher while signed in; English when they never chose."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import translation

from accounts import push, services
from accounts.models import User
from tests.accounts.conftest import PASSWORD, make_customer
from tests.payments import factories as f
from tests.webpush import Browser, PushService

pytestmark = pytest.mark.django_db


def sign_up(client, *, email: str, phone: str, language: str):
    data = {"email": email, "full_name": "Léa", "phone": phone, "password": PASSWORD}
    return client.post("/accounts/signup/", data, HTTP_ACCEPT_LANGUAGE=language)


def last_sms(tmp_path) -> str:
    return (tmp_path / "sms.log").read_text().splitlines()[-1].split("\t")[2]


def customer_in(language: str, *, email: str, phone: str) -> User:
    user = make_customer(email, phone)
    user.language = language
    user.save(update_fields=["language"])
    return user


def phone_of(user: User, service: PushService) -> Browser:
    browser = Browser(f"{service.origin}/push/{user.pk}")
    data = browser.subscription_json()
    services.push_subscribe(
        user_id=user.pk,
        endpoint=data["endpoint"],
        p256dh=data["keys"]["p256dh"],
        auth=data["keys"]["auth"],
    )
    return browser


def pushed_to(browser: Browser, service: PushService) -> dict:
    (request,) = [r for r in service.received if r["path"] == urlparse(browser.endpoint).path]
    return browser.decrypt(request["body"])


# --- the stored language ------------------------------------------------------------------


def test_a_customer_signing_up_on_a_french_page_gets_the_code_in_french(client, tmp_path):
    sign_up(client, email="lea@example.com", phone="+33612345678", language="fr-FR,fr;q=0.9")
    assert User.objects.get(email="lea@example.com").language == "fr"
    sms = last_sms(tmp_path)
    assert sms.startswith("Votre code SmilePay est ") and "minutes" in sms


def test_a_customer_signing_up_on_an_english_page_gets_the_code_in_english(client, tmp_path):
    sign_up(client, email="grace@example.com", phone="+12025550123", language="en-US")
    assert User.objects.get(email="grace@example.com").language == "en"
    assert last_sms(tmp_path).startswith("Your SmilePay code is ")


def test_the_switcher_keeps_a_signed_in_persons_choice_for_the_next_texts(client, ada, tmp_path):
    client.force_login(ada)
    response = client.post("/i18n/language/", {"language": "fr", "next": "/me/"})
    assert response.status_code == 302 and response["Location"] == "/me/"
    ada.refresh_from_db()
    assert ada.language == "fr"
    with translation.override("en"):  # whatever the language of the page asking
        services.phone_code_send(user_id=ada.pk)
    assert last_sms(tmp_path).startswith("Votre code SmilePay est ")

    client.post("/i18n/language/", {"language": "en", "next": "/me/"})
    ada.refresh_from_db()
    assert ada.language == "en"


def test_the_switcher_ignores_a_language_smilepay_does_not_speak(client, ada):
    client.force_login(ada)
    client.post("/i18n/language/", {"language": "xx", "next": "/me/"})
    ada.refresh_from_db()
    assert ada.language == ""


def test_the_switcher_still_works_for_a_visitor(client):
    response = client.post("/i18n/language/", {"language": "fr", "next": "/"})
    assert response.status_code == 302 and response.cookies["smilepay_language"].value == "fr"


# --- Web Push -----------------------------------------------------------------------------


def test_the_payment_push_is_in_the_customers_language_not_the_kiosks(push_service):
    cafe = f.merchant(name="Café Rivoli")
    lea, grace = f.customer(balance_minor=10_000), f.customer(balance_minor=10_000)
    User.objects.filter(pk=lea.pk).update(language="fr")
    User.objects.filter(pk=grace.pk).update(language="en")
    lea_phone, grace_phone = phone_of(lea, push_service), phone_of(grace, push_service)

    with translation.override("en"):  # an English kiosk
        f.matched_payment(cafe, lea, amount_minor=375)
    with translation.override("fr"):  # a French kiosk
        f.matched_payment(cafe, grace, amount_minor=375)

    to_lea = pushed_to(lea_phone, push_service)
    assert to_lea["title"] == "Confirmer 3,75\u00a0$US chez Café Rivoli"
    assert to_lea["body"] == "Ouvrez pour accepter ou refuser ce paiement."
    assert [a["title"] for a in to_lea["actions"]] == ["Accepter", "Refuser"]
    to_grace = pushed_to(grace_phone, push_service)
    assert to_grace["title"] == "Confirm $3.75 at Café Rivoli"
    assert to_grace["body"] == "Open to approve or decline this payment."
    assert [a["title"] for a in to_grace["actions"]] == ["Approve", "Decline"]


def test_the_test_notification_is_in_the_customers_language(push_service):
    lea = customer_in("fr", email="lea@example.com", phone="+33612345678")
    grace = customer_in("", email="grace@example.com", phone="+12025550123")
    lea_phone, grace_phone = phone_of(lea, push_service), phone_of(grace, push_service)
    with translation.override("fr"):
        push.push_send_test(user_id=grace.pk)  # never chose: English
    with translation.override("en"):
        push.push_send_test(user_id=lea.pk)
    assert pushed_to(lea_phone, push_service)["body"].startswith("Les notifications marchent.")
    assert pushed_to(grace_phone, push_service)["body"].startswith("Notifications work.")


# --- e-mail -------------------------------------------------------------------------------


def test_the_password_reset_mail_is_in_the_account_holders_language(client):
    customer_in("fr", email="lea@example.com", phone="+33612345678")
    customer_in("en", email="grace@example.com", phone="+12025550123")
    client.post(
        "/accounts/password-reset/", {"email": "lea@example.com"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    client.post(
        "/accounts/password-reset/", {"email": "grace@example.com"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    to_lea, to_grace = mail.outbox
    assert to_lea.subject == "Réinitialisez votre mot de passe SmilePay"
    assert "Pour choisir un nouveau mot de passe" in to_lea.body
    assert to_grace.subject == "Reset your SmilePay password"
    assert "To choose a new password" in to_grace.body


def test_the_password_reset_mail_of_someone_who_never_chose_follows_the_page(client):
    customer_in("", email="lea@example.com", phone="+33612345678")
    client.post(
        "/accounts/password-reset/", {"email": "lea@example.com"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    (to_lea,) = mail.outbox
    assert to_lea.subject == "Réinitialisez votre mot de passe SmilePay"


def test_an_account_without_a_language_takes_the_one_it_signs_in_with(client, ada):
    client.post(
        "/accounts/login/",
        {"username": "ada@example.com", "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    ada.refresh_from_db()
    assert ada.language == "fr"


def test_signing_in_on_another_language_keeps_the_chosen_one(client, ada):
    User.objects.filter(pk=ada.pk).update(language="en")
    client.post(
        "/accounts/login/",
        {"username": "ada@example.com", "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    ada.refresh_from_db()
    assert ada.language == "en"


def test_a_language_chosen_with_the_switcher_before_signing_in_becomes_the_accounts(client, ada):
    User.objects.filter(pk=ada.pk).update(language="en")
    client.post("/i18n/language/", {"language": "fr", "next": "/accounts/login/"})
    client.post("/accounts/login/", {"username": "ada@example.com", "password": PASSWORD})
    ada.refresh_from_db()
    assert ada.language == "fr"
