"""Guessing passwords and flooding reset mail are limited per account and per address."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
RESET = "/accounts/password-reset/"


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 5
    settings.LOGIN_FAILURES_PER_IP = 12
    settings.PASSWORD_RESETS_PER_ACCOUNT_HOUR = 3
    settings.PASSWORD_RESETS_PER_IP_HOUR = 5


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_a_wrong_password_is_answered_in_the_forms_own_words(client, ada):
    """Django's message would name the model's field ("email"); this form takes phones."""
    for language, said in (
        ("en", "This email or phone number and password do not match an account."),
        ("fr", "Cet e-mail ou ce numéro de téléphone et ce mot de passe ne correspondent"),
    ):
        page = client.post(
            LOGIN,
            {"username": "ada@example.com", "password": "nope"},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert said in page.content.decode()


def test_it_refuses_even_the_right_password_after_too_many_wrong_ones(client, ada):
    for _ in range(5):
        assert sign_in(client, "ada@example.com", "wrong guess").status_code == 200
    locked = sign_in(client, "ada@example.com", PASSWORD)
    assert locked.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Too many failed sign-ins" in locked.content.decode()


def test_a_one_minute_lockout_says_one_minute_in_either_language(client, ada, settings):
    settings.LOGIN_LOCKOUT_SECONDS = 60
    for _ in range(5):
        sign_in(client, "ada@example.com", "wrong guess")
    for language, said in (
        ("en", "Wait 1 minute and try again"),
        ("fr", "Attendez 1\u00a0minute et réessayez"),
    ):
        page = client.post(
            LOGIN,
            {"username": "ada@example.com", "password": PASSWORD},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert said in page.content.decode()


def test_the_account_count_holds_across_spellings_of_the_phone_number(client, ada):
    for spelling in [
        "202-555-0147",
        "+1 202 555 0147",
        "(202) 555-0147",
        "2025550147",
        "+12025550147",
    ]:
        sign_in(client, spelling, "wrong guess")
    assert (
        "Too many failed sign-ins" in sign_in(client, "ada@example.com", PASSWORD).content.decode()
    )


def test_one_address_cannot_spray_guesses_over_many_accounts(client, ada):
    for n in range(12):
        sign_in(client, f"someone{n}@example.com", "wrong guess")
    locked = sign_in(client, "ada@example.com", PASSWORD)
    assert "Too many failed sign-ins" in locked.content.decode()
    # Another client address is not affected by this one's guesses.
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert sign_in(elsewhere, "ada@example.com", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_account_count(client, ada):
    for _ in range(4):
        sign_in(client, "ada@example.com", "wrong guess")
    assert sign_in(client, "ada@example.com", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        sign_in(client, "ada@example.com", "wrong guess")
    assert sign_in(client, "ada@example.com", PASSWORD).status_code == 302


def test_the_admin_login_is_limited_too(client, ada):
    ada.is_staff = True
    ada.save(update_fields=["is_staff"])
    for _ in range(5):
        client.post("/admin/login/", {"username": "ada@example.com", "password": "wrong guess"})
    client.post("/admin/login/", {"username": "ada@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_password_reset_mail_is_limited_per_address_typed(client, ada):
    for _ in range(3):
        assert client.post(RESET, {"email": "ada@example.com"}).status_code == 302
    refused = client.post(RESET, {"email": "ada@example.com"})
    assert refused.status_code == 200
    assert "Too many password reset requests" in refused.content.decode()
    assert len(mail.outbox) == 3


def test_password_reset_is_limited_per_client_whether_or_not_the_account_exists(client, ada):
    for n in range(5):
        client.post(RESET, {"email": f"nobody{n}@example.com"})
    refused = client.post(RESET, {"email": "ada@example.com"})
    assert "Too many password reset requests" in refused.content.decode()
    assert mail.outbox == []


def test_the_reset_link_goes_to_the_site_whatever_host_the_request_named(client, ada, settings):
    settings.SITE_URL = "https://pay.example.com"
    settings.ALLOWED_HOSTS = ["*"]  # the careless deployment this guards against
    client.post("/accounts/password-reset/", {"email": "ada@example.com"}, HTTP_HOST="evil.example")
    (mailed,) = mail.outbox
    assert "https://pay.example.com/accounts/reset/" in mailed.body
    assert "evil.example" not in mailed.body


def test_a_password_reset_unlocks_the_account_as_the_lockout_message_promises(client, ada):
    guesser = Client(REMOTE_ADDR="198.51.100.7")  # the address's own count is not ours
    for _ in range(5):
        sign_in(guesser, "ada@example.com", "wrong guess")
    assert "reset your password" in sign_in(client, "ada@example.com", PASSWORD).content.decode()
    client.post(RESET, {"email": "ada@example.com"})
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    form = client.get(urlsplit(link).path)
    new = "a brand new passphrase 9"
    client.post(form["Location"], {"new_password1": new, "new_password2": new})
    assert sign_in(client, "+1 202 555 0147", new).status_code == 302


def test_password_guesses_on_payment_requests_lock_the_account_like_sign_ins(client, ada):
    """Each request allows a few tries, and anyone can have a shop send more: on a phone
    left signed in, the guesses must still meet the sign-in lockout."""
    from payments.models import Payment
    from tests.payments import factories as f
    from tests.payments.online_helpers import online_request

    shop = f.merchant()
    client.force_login(ada)
    for _ in range(5):
        guessed = online_request(shop, ada)
        client.post(f"/me/payments/{guessed.pk}/confirm/password/", {"password": "wrong guess"})
    fresh = online_request(shop, ada)
    page = client.post(
        f"/me/payments/{fresh.pk}/confirm/password/", {"password": PASSWORD}, follow=True
    )
    assert "Too many wrong passwords for this account" in page.content.decode()
    assert Payment.objects.get(pk=fresh.pk).match_attempts == 0  # refused before any try
    assert "Too many failed sign-ins" in sign_in(Client(), ada.email, PASSWORD).content.decode()


def test_deleting_the_account_meets_the_sign_in_lockout_too(client, ada):
    client.force_login(ada)
    form = {"password": "wrong guess", "confirm": "on"}
    for _ in range(5):
        client.post("/me/privacy/delete-account/", form)
    page = client.post("/me/privacy/delete-account/", {**form, "password": PASSWORD})
    assert "Too many wrong passwords for this account" in page.content.decode()
    ada.refresh_from_db()
    assert ada.is_active


def test_guesses_sent_together_cannot_outrun_the_count(client, ada, monkeypatch):
    """A second guess arrives while the first is being hashed, with one try left: it is
    refused before its hash, not checked against a count the first has not raised yet."""
    from django.contrib.auth import authenticate

    from accounts.models import User

    for _ in range(4):
        sign_in(client, "ada@example.com", "wrong guess")
    hashed, real_check = [], User.check_password

    def slow_hash(user, password):
        hashed.append(password)
        if len(hashed) == 1:  # the other guess lands while this one is hashed
            assert authenticate(username="ada@example.com", password="second guess") is None
        return real_check(user, password)

    monkeypatch.setattr(User, "check_password", slow_hash)
    assert authenticate(username="ada@example.com", password="first guess") is None
    assert hashed == ["first guess"]


def test_the_right_password_gives_its_try_back_to_the_address(client, ada, settings):
    settings.LOGIN_FAILURES_PER_IP = 3
    for _ in range(2):
        sign_in(client, "someone@example.com", "wrong guess")
    for _ in range(3):  # right passwords do not use up the address's failures
        assert sign_in(Client(), "ada@example.com", PASSWORD).status_code == 302
    assert sign_in(client, "nobody@example.com", "wrong guess").status_code == 200
    assert (
        "Too many failed sign-ins" in sign_in(client, "ada@example.com", PASSWORD).content.decode()
    )
