import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return get_user_model().objects.create_user(
        "Ada@Example.com",
        "correct horse battery",
        full_name="Ada Lovelace",
        phone_e164="(202) 555-0147",
    )


def test_it_stores_email_lowercase_and_phone_in_e164_with_last_four(ada):
    assert ada.email == "ada@example.com"
    assert ada.phone_e164 == "+12025550147"
    assert ada.phone_last4 == "0147"


def test_the_last_four_digits_are_indexed():
    field = get_user_model()._meta.get_field("phone_last4")
    assert field.db_index


def test_it_signs_in_by_email_or_by_phone(ada):
    assert authenticate(username="ADA@example.com", password="correct horse battery") == ada
    assert authenticate(username="+1 202 555 0147", password="correct horse battery") == ada
    assert authenticate(username="2025550147", password="wrong") is None
    assert authenticate(username="not a phone", password="correct horse battery") is None


def test_it_rejects_a_phone_number_it_cannot_parse():
    with pytest.raises(ValidationError):
        get_user_model().objects.create_user("bob@example.com", "pw-123456", phone_e164="12")


def test_two_people_cannot_share_a_verified_phone_number(ada):
    """Ada verified hers. Eve may type it at sign-up (nothing is sent to Eve), but it
    cannot become Eve's verified number too."""
    ada.phone_verified_at = timezone.now()
    ada.save(update_fields=["phone_verified_at"])
    eve = get_user_model().objects.create_user(
        "eve@example.com", "pw-123456", phone_e164="+12025550147"
    )
    eve.phone_verified_at = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        eve.save(update_fields=["phone_verified_at"])


def test_changing_the_phone_updates_the_last_four(ada):
    ada.phone_e164 = "+442079460958"
    ada.save(update_fields=["phone_e164"])
    ada.refresh_from_db()
    assert ada.phone_last4 == "0958"


def test_the_login_page_signs_a_customer_in(client, ada):
    response = client.post(
        "/accounts/login/", {"username": "ada@example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.get("/").context["user"] == ada
