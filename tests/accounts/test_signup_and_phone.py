"""Sign-up, phone verification by one-time code, sign-in and password reset."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services
from accounts.errors import CodeRequestRefused
from accounts.models import AuditEvent, PhoneCode, User
from accounts.otp import VerifyOutcome
from accounts.phones import normalize_phone
from tests.accounts.conftest import PASSWORD, last_sms_code

pytestmark = pytest.mark.django_db


def sign_up(client, **overrides):
    data = {
        "email": "Grace@Example.com",
        "full_name": "Grace Hopper",
        "phone": "(202) 555-0123",
        "password": PASSWORD,
        **overrides,
    }
    return client.post("/accounts/signup/", data)


def test_grace_signs_up_gets_a_text_and_verifies_her_phone(client, tmp_path):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify-phone/"
    grace = User.objects.get(email="grace@example.com")
    assert grace.phone_e164 == "+12025550123"
    assert grace.phone_verified_at is None
    code = last_sms_code(tmp_path)
    assert "+12025550123" in (tmp_path / "sms.log").read_text()

    page = client.get("/accounts/verify-phone/").content.decode()
    assert "+1\u00a0202-555-0123" in page  # as people read it, on one line
    assert page.count("+1\u00a0202-555-0123") == 1  # the welcome does not say it again
    response = client.post("/accounts/verify-phone/", {"code": code})
    assert response.status_code == 302
    assert response["Location"] == "/me/consent/"
    grace.refresh_from_db()
    assert grace.phone_verified_at is not None
    assert AuditEvent.objects.filter(user=grace, name="phone.verified").exists()


def test_the_code_is_stored_only_as_a_hash(client, tmp_path):
    sign_up(client)
    code = last_sms_code(tmp_path)
    record = PhoneCode.objects.get()
    assert code not in record.code_hash
    assert len(record.code_hash) == 64


def test_sign_up_refuses_a_taken_email_or_phone_and_a_weak_password(client, ada):
    response = sign_up(client, email="ada@example.com")
    assert "already exists" in response.content.decode()
    response = sign_up(client, phone="+1 202 555 0147")
    assert "already exists" in response.content.decode()
    response = sign_up(client, password="12345678")
    assert response.status_code == 200
    assert User.objects.filter(email="grace@example.com").count() == 0
    response = sign_up(client, phone="12")
    assert "valid phone" in response.content.decode()


def test_a_weak_password_is_said_with_the_other_mistakes_at_once(client):
    page = client.post(
        "/accounts/signup/",
        {"email": "not an email", "full_name": "Grace", "phone": "12", "password": "abc"},
    ).content.decode()
    assert "Enter a valid email address." in page and "valid phone number" in page
    assert "This password is too short." in page


def test_a_number_in_another_countrys_own_form_is_asked_for_with_its_country_code(client, settings):
    """06 12 34 56 78 is a French mobile; read as a number of the default region (US)
    it would have been saved as +1 061… and the code texted there."""
    settings.PHONE_DEFAULT_REGION = "US"
    page = sign_up(client, phone="06 12 34 56 78").content.decode()
    assert "with its country code, for example +33 6 12 34 56 78" in page
    assert not User.objects.filter(email="grace@example.com").exists()
    for spelling in ("+33 6 12 34 56 78", "0033 6 12 34 56 78"):
        assert normalize_phone(spelling) == "+33612345678"
    assert normalize_phone("(202) 555-0147") == "+12025550147"


def test_a_uk_mobile_in_its_own_form_gets_the_same_hint(settings):
    settings.PHONE_DEFAULT_REGION = "US"
    with pytest.raises(ValidationError) as refused:
        normalize_phone("07911 123456")
    assert refused.value.code == "phone_needs_country"
    assert normalize_phone("+44 7911 123456") == "+447911123456"


def test_a_wrong_code_counts_and_locks_after_the_allowed_attempts(client, tmp_path, settings):
    settings.PHONE_CODE_MAX_ATTEMPTS = 3
    sign_up(client)
    code = last_sms_code(tmp_path)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(2):
        response = client.post("/accounts/verify-phone/", {"code": wrong})
        assert "not right" in response.content.decode()
    response = client.post("/accounts/verify-phone/", {"code": wrong})
    assert "Too many wrong tries" in response.content.decode()
    # Even the right code no longer works: a new one must be sent.
    response = client.post("/accounts/verify-phone/", {"code": code})
    assert "Too many wrong tries" in response.content.decode()
    assert User.objects.get().phone_verified_at is None
    assert PhoneCode.objects.get().attempts == 3


def test_a_code_expires(tmp_path, ada):
    services.phone_code_send(user_id=ada.pk)
    code = last_sms_code(tmp_path)
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.phone_code_verify(user_id=ada.pk, code=code) == VerifyOutcome.EXPIRED


def test_a_new_code_retires_the_old_one(tmp_path, ada):
    services.phone_code_send(user_id=ada.pk)
    first = last_sms_code(tmp_path)
    PhoneCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    services.phone_code_send(user_id=ada.pk)
    second = last_sms_code(tmp_path)
    if first != second:
        assert services.phone_code_verify(user_id=ada.pk, code=first) == VerifyOutcome.WRONG
    assert services.phone_code_verify(user_id=ada.pk, code=second) == VerifyOutcome.VERIFIED
    # A used code does not work twice.
    assert services.phone_code_verify(user_id=ada.pk, code=second) == VerifyOutcome.EXPIRED


def test_resending_is_rate_limited_per_minute_and_per_hour(client, tmp_path, settings):
    settings.PHONE_CODE_MAX_PER_HOUR = 3
    sign_up(client)
    grace = User.objects.get()
    response = client.post("/accounts/verify-phone/resend/", follow=True)
    assert "Please wait" in response.content.decode()
    assert PhoneCode.objects.count() == 1
    for _ in range(2):
        PhoneCode.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        services.phone_code_send(user_id=grace.pk)
    PhoneCode.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(CodeRequestRefused) as excinfo:
        services.phone_code_send(user_id=grace.pk)
    assert "Too many codes" in excinfo.value.message
    assert 0 < excinfo.value.retry_after <= 3600
    assert len((tmp_path / "sms.log").read_text().splitlines()) == 3


def test_no_sms_goes_out_when_the_transaction_rolls_back(tmp_path, ada):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.phone_code_send(user_id=ada.pk)
        raise RuntimeError("boom")
    assert not (tmp_path / "sms.log").exists()


def test_ada_signs_in_by_phone_and_resets_a_forgotten_password(client, ada):
    response = client.post("/accounts/login/", {"username": "202-555-0147", "password": PASSWORD})
    assert response.status_code == 302
    client.post("/accounts/logout/")

    response = client.post("/accounts/password-reset/", {"email": "ada@example.com"})
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url,
        {"new_password1": "a new long passphrase", "new_password2": "a new long passphrase"},
    )
    assert response["Location"] == "/accounts/reset/done/"
    ada.refresh_from_db()
    assert ada.check_password("a new long passphrase")


def test_the_sign_up_page_and_login_page_link_to_each_other(client):
    assert "/accounts/login/" in client.get("/accounts/signup/").content.decode()
    page = client.get("/accounts/login/").content.decode()
    assert "/accounts/signup/" in page and "/accounts/password-reset/" in page


def test_a_number_typed_at_a_sign_up_that_never_verifies_it_does_not_keep_its_owner_out(
    client, tmp_path
):
    """Mallory signs up with Grace's number (the code goes to Grace, so she cannot verify
    it). Grace can still sign up with it, and once she verifies it, Mallory loses it."""
    from django.test import Client

    mallory = Client()
    sign_up(mallory, email="mallory@example.com", full_name="Mallory")
    mallory.get("/accounts/verify-phone/")  # (its welcome message read)
    sign_up(client)
    grace = User.objects.get(email="grace@example.com")
    assert grace.phone_e164 == "+12025550123"
    client.post("/accounts/verify-phone/", {"code": last_sms_code(tmp_path)})
    grace.refresh_from_db()
    assert grace.phone_verified_at is not None
    squatter = User.objects.get(email="mallory@example.com")
    assert squatter.phone_e164 is None
    assert AuditEvent.objects.filter(user=squatter, name="phone.released").exists()
    page = mallory.get("/accounts/verify-phone/").content.decode()
    assert "Enter your mobile number" in page and "+12025550123" not in page
    # The number is now taken for good: a new sign-up with it is refused.
    again = sign_up(Client(), email="eve@example.com").content.decode()
    assert "An account with this phone number already exists." in again


def test_a_mistyped_number_is_changed_on_the_verification_page(client, tmp_path, settings):
    settings.PHONE_CODE_RESEND_SECONDS = 0
    sign_up(client, phone="(202) 555-0199")  # a typo
    answer = client.post("/accounts/verify-phone/number/", {"phone": "(202) 555-0123"})
    assert answer["Location"] == "/accounts/verify-phone/"
    grace = User.objects.get(email="grace@example.com")
    assert grace.phone_e164 == "+12025550123"
    assert "+12025550123" in (tmp_path / "sms.log").read_text().splitlines()[-1]
    client.post("/accounts/verify-phone/", {"code": last_sms_code(tmp_path)})
    grace.refresh_from_db()
    assert grace.phone_verified_at is not None
    # Verified: the number stays (changing it is not this page's business).
    client.post("/accounts/verify-phone/number/", {"phone": "(202) 555-0188"})
    grace.refresh_from_db()
    assert grace.phone_e164 == "+12025550123"


def test_a_refused_new_number_stays_typed_with_its_error_under_it(client):
    sign_up(client, phone="(202) 555-0199")
    page = client.post("/accounts/verify-phone/number/", {"phone": "07911 654321"})
    html = page.content.decode()
    assert page.status_code == 400
    assert '<details id="change-phone" open>' in html and 'value="07911 654321"' in html
    assert "with its country code" in html


def test_the_verification_page_will_not_take_another_accounts_verified_number(
    client, ada, settings
):
    settings.PHONE_CODE_RESEND_SECONDS = 0
    sign_up(client, phone="(202) 555-0199")
    page = client.post(
        "/accounts/verify-phone/number/", {"phone": ada.phone_e164}, follow=True
    ).content.decode()
    assert "An account with this phone number already exists." in page
    assert User.objects.get(email="grace@example.com").phone_e164 == "+12025550199"


def test_sign_ups_from_one_address_are_limited(client, settings):
    settings.SIGNUPS_PER_IP_HOUR = 3
    for n in range(3):
        sign_up(client, email=f"someone{n}@example.com", phone=f"(202) 555-01{n:02d}")
        client.post("/accounts/logout/")
    page = sign_up(client, email="one.more@example.com", phone="(202) 555-0177")
    assert "Too many sign-ups from your network" in page.content.decode()
    assert not User.objects.filter(email="one.more@example.com").exists()
