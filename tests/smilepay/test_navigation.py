"""After signing in there is somewhere to go: the portal, the merchant site, or `next`."""

from __future__ import annotations

import pytest

from tests.payments import factories

pytestmark = pytest.mark.django_db


def sign_in(client, user, **extra):
    return client.post(
        "/accounts/login/", {"username": user.email, "password": "pw-for-tests", **extra}
    )


def landing(client, response) -> str:
    """Follow redirects by hand: the final path a browser would show."""
    while response.status_code in (301, 302):
        location = response["Location"]
        response = client.get(location)
    return response.request["PATH_INFO"]


def test_a_customer_lands_in_the_portal_after_signing_in(client):
    response = sign_in(client, factories.customer())
    assert landing(client, response) == "/me/"


def test_merchant_staff_land_on_the_merchant_site_after_signing_in(client):
    response = sign_in(client, factories.staff(factories.merchant()))
    assert landing(client, response) == "/merchant/"


def test_a_safe_next_wins_after_signing_in(client):
    response = sign_in(client, factories.customer(), next="/me/settings/")
    assert response["Location"] == "/me/settings/"


def test_an_unsafe_next_is_ignored_after_signing_in(client):
    response = sign_in(client, factories.customer(), next="https://evil.example/steal")
    assert response["Location"] == "/start/"
    assert landing(client, response) == "/me/"


def test_a_signed_in_customer_opening_the_login_page_goes_on_to_the_portal(client):
    client.force_login(factories.customer())
    assert landing(client, client.get("/accounts/login/")) == "/me/"


def test_the_header_links_the_name_to_the_portal(client):
    client.force_login(factories.customer())
    page = client.get("/").content.decode()
    assert 'class="who" href="/me/"' in page
    assert 'href="/merchant/"' not in page


def test_the_header_and_home_page_link_staff_to_the_merchant_site(client):
    client.force_login(factories.staff(factories.merchant()))
    page = client.get("/").content.decode()
    assert page.count('href="/merchant/"') == 2  # header and home page card


def test_the_home_page_offers_sign_up_to_a_visitor(client):
    page = client.get("/").content.decode()
    assert 'href="/accounts/signup/"' in page
    assert "Create an account" in page


def test_the_home_page_takes_a_signed_in_customer_to_the_portal_not_the_login_form(client):
    client.force_login(factories.customer())
    page = client.get("/").content.decode()
    assert 'href="/accounts/login/"' not in page
    assert "Your SmilePay" in page
    # Not offered what is not theirs: the admin's login wall, a kiosk's pairing.
    assert 'href="/admin/"' not in page and 'href="/kiosk/"' not in page


def test_a_signed_in_customer_sent_back_to_the_login_page_does_not_loop(client):
    client.force_login(factories.customer())
    response = client.get("/accounts/login/?next=/accounts/login/")
    assert response.status_code == 302 and response["Location"] == "/start/"
