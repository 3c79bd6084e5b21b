"""Hostile input gets a 4xx with a message, never a 500 (the probe's findings, one by one).

Django's test client re-raises a view's exception, so a 500 here fails as the exception
itself; `raise_request_exception=False` turns it into the 500 the probe saw.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from django.test import Client

from kiosk.devices import DEVICE_COOKIE
from merchants.services import kiosk_issue_pairing_code, kiosk_pair
from smilepay.json_body import BadJsonBody, parse_json_bytes
from smilepay.parsing import strict_id
from tests.accounts.conftest import make_customer
from tests.payments import factories as f

pytestmark = pytest.mark.django_db

DEEP = b"[" * 100_000 + b"]" * 100_000
BAD_JSON_BODIES = {
    "deep nesting": DEEP,
    "deep object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "invalid utf-8 in a string": b'{"amount_minor": 5, "x": "\xff\xfe"}',
    "a lone surrogate": b'{"endpoint": "\\ud800"}',
    "a NUL character": b'{"endpoint": "a\\u0000b"}',
    "NaN": b'{"amount_minor": NaN}',
    "a number past a float's range": b'{"amount_minor": 1e999}',
    "a 5000-digit integer": b'{"amount_minor": ' + b"9" * 5000 + b"}",
    "not JSON": b"{'single': 'quotes'}",
}


def quiet_client(**defaults) -> Client:
    return Client(raise_request_exception=False, **defaults)


@pytest.fixture
def cafe():
    return f.merchant(name="Hostile Café")


@pytest.fixture
def kiosk_client(cafe) -> Client:
    kiosk = f.kiosk(cafe)
    client = quiet_client()
    client.cookies[DEVICE_COOKIE] = kiosk_pair(
        code=kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
    ).device_token
    return client


@pytest.fixture
def api(cafe) -> tuple[Client, dict]:
    return quiet_client(), {"HTTP_AUTHORIZATION": f"Bearer {f.api_key(cafe)}"}


@pytest.fixture
def customer_client() -> Client:
    client = quiet_client()
    client.force_login(make_customer("mallory@example.com", "+12025550166", consent=True))
    return client


@pytest.fixture
def owner_client(cafe) -> Client:
    client = quiet_client()
    client.force_login(f.staff(cafe))
    return client


def assert_clear_4xx(response, *, status: int | None = None) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        error = body["error"]
        message = error["message"] if isinstance(error, dict) else body["message"]
        assert message and "Traceback" not in message


# --- the reader itself ----------------------------------------------------------------


@pytest.mark.parametrize("raw", list(BAD_JSON_BODIES.values()), ids=list(BAD_JSON_BODIES))
def test_the_json_reader_refuses_each_hostile_body_with_a_message(raw):
    with pytest.raises(BadJsonBody) as refused:
        parse_json_bytes(raw)
    assert str(refused.value)


def test_the_json_reader_accepts_ordinary_unicode():
    assert parse_json_bytes('{"name": "Zoë ☺ 😀"}'.encode()) == {"name": "Zoë ☺ 😀"}


@pytest.mark.parametrize("text", ["²", "٣", "1_000", " 12", "12 ", "-1", "0", "9" * 20, "", "1e3"])
def test_a_strict_id_is_only_ascii_digits_in_bigint_range(text):
    assert strict_id(text) is None


def test_a_strict_id_reads_a_plain_number():
    assert strict_id("42") == 42
    assert strict_id(str(2**63 - 1)) == 2**63 - 1


# --- every JSON endpoint --------------------------------------------------------------


@pytest.mark.parametrize("raw", list(BAD_JSON_BODIES.values()), ids=list(BAD_JSON_BODIES))
def test_the_kiosk_api_answers_a_hostile_json_body_with_a_400(kiosk_client, raw):
    response = kiosk_client.post("/kiosk/api/payments", raw, content_type="application/json")
    assert_clear_4xx(response, status=400)
    assert response.json()["error"]["code"] == "bad_json"


@pytest.mark.parametrize("raw", list(BAD_JSON_BODIES.values()), ids=list(BAD_JSON_BODIES))
def test_the_merchant_api_answers_a_hostile_json_body_with_a_400(api, raw):
    client, auth = api
    response = client.post(
        "/api/v1/payments",
        raw,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        **auth,
    )
    assert_clear_4xx(response, status=400)
    assert response.json()["error"]["code"] == "malformed_body"


@pytest.mark.parametrize("raw", list(BAD_JSON_BODIES.values()), ids=list(BAD_JSON_BODIES))
@pytest.mark.parametrize("path", ["/me/notifications/subscribe/", "/me/notifications/unsubscribe/"])
def test_push_subscription_answers_a_hostile_json_body_with_a_400(customer_client, path, raw):
    response = customer_client.post(path, raw, content_type="application/json")
    assert_clear_4xx(response, status=400)


def test_a_multipart_body_on_a_json_endpoint_is_refused_as_not_json(kiosk_client, customer_client):
    # The CSRF check parses a multipart body first; reading it as JSON then used to 500.
    token = "a" * 32
    form = {"amount_minor": "500", "note": "hello"}
    for client, path in [
        (kiosk_client, "/kiosk/api/payments"),
        (customer_client, "/me/notifications/subscribe/"),
    ]:
        client.handler.enforce_csrf_checks = True
        client.cookies["csrftoken"] = token
        response = client.post(path, form, HTTP_X_CSRFTOKEN=token)
        assert_clear_4xx(response, status=400)
        error = response.json()["error"]
        assert (error["code"] if isinstance(error, dict) else error) == "not_json"


@pytest.mark.parametrize("step", ["check", "capture", "self-check"])
def test_a_form_sent_to_an_enrolment_camera_endpoint_is_refused(customer_client, step):
    token = "b" * 32
    customer_client.handler.enforce_csrf_checks = True
    customer_client.cookies["csrftoken"] = token
    response = customer_client.post(
        f"/me/face/enroll/{step}/", {"frame": ("f.jpg", b"x")}, HTTP_X_CSRFTOKEN=token
    )
    assert_clear_4xx(response, status=400)
    assert response.json()["error"] == "not_an_image"


@pytest.mark.parametrize("keys", ["a string", ["a", "list"], 7, True])
def test_push_keys_that_are_not_an_object_are_refused(customer_client, keys):
    body = {"endpoint": "https://push.example.com/abc", "keys": keys}
    response = customer_client.post(
        "/me/notifications/subscribe/", json.dumps(body), content_type="application/json"
    )
    assert_clear_4xx(response, status=400)
    assert response.json()["error"] == "invalid_subscription"


# --- the merchant API's list ------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        base64.b64encode(b"o=99999999999999999999999&r=0").decode(),
        base64.b64encode(b"p=not-a-date").decode(),
        base64.b64encode(b"o=1&p=2024-13-45T99:99:99").decode(),
        base64.b64encode("p=²".encode()).decode(),
        base64.b64encode(b"o=-5").decode(),
        # Past the calendar once the query converts them to UTC.
        base64.b64encode(b"p=0001-01-01T00%3A00%3A00%2B14%3A00").decode(),
        base64.b64encode(b"p=9999-12-31T23%3A59%3A59-14%3A00").decode(),
    ],
)
def test_a_forged_cursor_never_fails_the_list(api, cafe, cursor):
    client, auth = api
    f.kiosk_payment(cafe)
    response = client.get("/api/v1/payments", {"cursor": cursor}, **auth)
    assert response.status_code in (200, 404), response.content[:300]
    if response.status_code == 404:
        assert_clear_4xx(response)


@pytest.mark.parametrize(
    "params",
    [
        {"kiosk_id": "²"},
        {"kiosk_id": str(2**70)},
        {"created_gte": "9999-99-99"},
        {"limit": "²"},
        {"status": "\x00"},
    ],
)
def test_bad_list_filters_are_a_clear_4xx_or_ignored(api, params):
    client, auth = api
    response = client.get("/api/v1/payments", params, **auth)
    assert response.status_code < 500, response.content[:300]


# --- the merchant site ----------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"q": "²"},
        {"q": "9" * 30},
        {"q": "a\x00b"},
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"kiosk": str(2**70)},
    ],
)
@pytest.mark.parametrize("path", ["/merchant/payments/", "/merchant/payments/export.csv"])
def test_the_payment_list_and_csv_never_fail_on_odd_filters(owner_client, cafe, path, params):
    f.kiosk_payment(cafe, amount_minor=777)
    response = owner_client.get(path, params)
    assert response.status_code < 500
    if response.status_code == 200 and path.endswith(".csv"):
        b"".join(response.streaming_content)


def test_a_date_beyond_the_calendar_is_refused_with_its_reason(owner_client):
    response = owner_client.get("/merchant/payments/", {"date_to": "9999-12-31"})
    assert response.status_code == 400
    assert "Pick a date between" in response.content.decode()
    csv = owner_client.get("/merchant/payments/export.csv", {"date_to": "9999-12-31"}, follow=True)
    assert csv.status_code == 400  # back on the list, the reason next to the filter
    assert "Pick a date between" in csv.content.decode()


def test_a_range_that_ends_before_it_starts_says_so(owner_client):
    response = owner_client.get(
        "/merchant/payments/", {"date_from": "2026-12-06", "date_to": "2026-12-01"}
    )
    assert response.status_code == 400
    assert "This is before the “From” date." in response.content.decode()


def test_a_superscript_two_searches_descriptions_instead_of_failing(owner_client, cafe):
    response = owner_client.get("/merchant/payments/", {"q": "²"})
    assert response.status_code == 200
    assert "No payments match" in response.content.decode()


@pytest.mark.parametrize("merchant_id", ["²", "٣", str(2**70), "-1", ""])
def test_switching_to_a_merchant_id_that_is_not_a_number_stays_put(owner_client, merchant_id):
    response = owner_client.post("/merchant/switch/", {"merchant_id": merchant_id})
    assert response.status_code == 302
