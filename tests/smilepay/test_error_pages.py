"""Error pages in the site's layout with a way home; JSON errors for JSON clients; no
traceback in the log for a client's mistake; a favicon."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from django.test import Client, RequestFactory

from smilepay.error_views import server_error
from smilepay.log_filters import NoTracebackForClientErrors
from tests.accounts.conftest import make_customer

pytestmark = pytest.mark.django_db


def assert_styled_page(response, status: int, title: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert title in html
    assert 'name="viewport"' in html and "css/smilepay.css" in html  # the site's layout
    assert 'href="/"' in html and "Go to the home page" in html  # a way home


def assert_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_a_missing_page_is_a_styled_404_with_a_way_home(client):
    assert_styled_page(client.get("/no/such/page/"), 404, "Page not found")


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/kiosk/api/nothing-here"])
def test_a_missing_api_route_answers_json(client, path):
    assert_json_error(client.get(path), 404, "not_found")


def test_a_client_that_asks_only_for_json_gets_a_json_404(client):
    assert_json_error(client.get("/nowhere/", HTTP_ACCEPT="application/json"), 404, "not_found")


def test_a_customer_on_the_merchant_site_gets_a_styled_403(client):
    client.force_login(make_customer("ada@example.com", "+12025550147"))
    assert_styled_page(client.get("/merchant/"), 403, "This page is not for you")


def test_a_form_without_its_csrf_token_gets_a_styled_page_that_says_to_reload():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "a", "password": "b"})
    assert_styled_page(response, 403, "Please try that again")
    assert "Reload the page" in response.content.decode()


def test_a_json_call_without_its_csrf_token_gets_json():
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_customer("ada@example.com", "+12025550147"))
    response = client.post("/me/notifications/subscribe/", "{}", content_type="application/json")
    assert_json_error(response, 403, "csrf_failed")


def test_the_500_page_needs_nothing_from_the_request_and_json_clients_get_json():
    page = server_error(RequestFactory().get("/me/"))
    assert page.status_code == 500
    html = page.content.decode()
    assert "Something went wrong" in html and 'href="/"' in html
    answer = server_error(RequestFactory().get("/api/v1/payments"))
    assert answer.status_code == 500
    assert json.loads(answer.content)["error"]["code"] == "internal_error"


def test_a_forbidden_request_is_logged_without_a_traceback_and_a_crash_with_one():
    try:
        raise PermissionError("no")
    except PermissionError:
        exc_info = sys.exc_info()

    def record(status: int) -> logging.LogRecord:
        made = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "x", (), exc_info)
        made.status_code = status
        return made

    quiet, loud = record(403), record(500)
    NoTracebackForClientErrors().filter(quiet)
    NoTracebackForClientErrors().filter(loud)
    assert quiet.exc_info is None
    assert loud.exc_info is exc_info


def test_the_favicon_is_served_from_the_site_root_and_linked_from_every_layout(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/x-icon"
    assert client.get("/apple-touch-icon.png")["Content-Type"] == "image/png"
    for page in ["/", "/kiosk/"]:
        assert 'rel="icon"' in client.get(page).content.decode()
