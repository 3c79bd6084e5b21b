import json

import pytest
from django.utils import timezone

from merchants import services as merchant_services
from payments import services
from payments.errors import NotFound
from payments.models import IdempotencyRecord, Payment
from tests.payments import factories as f
from tests.payments.api_client import Api
from tests.services import scripts_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(cafe):
    return Api(f.api_key(cafe))


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"type", "code", "message", "param"}
    assert body["error"]["code"] == code
    return body["error"]


def test_a_merchant_creates_a_kiosk_payment_and_reads_it_back(cafe, api):
    counter = f.kiosk(cafe)
    created = api.post(
        "payments", {"amount_minor": 450, "kiosk_id": counter.pk, "description": "Latte"}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["amount_minor"], body["currency"], body["channel"]) == (
        "created",
        450,
        "USD",
        "kiosk",
    )
    read = api.get(f"payments/{body['id']}")
    assert read.status_code == 200
    assert read.json()["description"] == "Latte"


def test_an_online_request_finds_the_customer_by_phone(cafe, api):
    casey = f.customer()
    created = api.post("payments", {"amount_minor": 999, "customer_phone": casey.phone_e164})
    assert created.status_code == 201, created.content
    assert Payment.objects.get(pk=created.json()["id"]).customer == casey
    assert created.json()["channel"] == "online"
    missing = api.post("payments", {"amount_minor": 999, "customer_phone": "+12025559999"})
    assert_error(missing, 404, "customer_not_found")


def test_an_online_request_is_only_for_a_customer_with_a_verified_phone(cafe, api):
    casey = f.customer(email="casey@example.com")
    local = casey.phone_e164.removeprefix("+1")  # a national number is normalised first
    created = api.post("payments", {"amount_minor": 100, "customer_phone": local})
    assert Payment.objects.get(pk=created.json()["id"]).customer == casey
    by_email = api.post("payments", {"amount_minor": 100, "customer_email": "Casey@Example.com"})
    assert Payment.objects.get(pk=by_email.json()["id"]).customer == casey
    bad = assert_error(
        api.post("payments", {"amount_minor": 100, "customer_phone": "12"}),
        400,
        "parameter_invalid",
    )
    assert (bad["param"], bad["message"]) == ("customer_phone", "not a valid phone number")
    type(casey).objects.filter(pk=casey.pk).update(phone_verified_at=None)
    unverified = api.post("payments", {"amount_minor": 100, "customer_email": "casey@example.com"})
    assert assert_error(unverified, 404, "customer_not_found")["param"] == "customer_email"


def test_the_service_refuses_another_merchants_kiosk_as_missing(cafe):
    other_kiosk = f.kiosk(f.merchant())
    with pytest.raises(NotFound) as refused:
        services.payment_create(
            merchant_id=cafe.pk, amount_minor=100, currency="USD", kiosk_id=other_kiosk.pk
        )
    assert (refused.value.code, refused.value.param) == ("resource_missing", "kiosk_id")
    assert not Payment.objects.exists()


def test_bad_input_gets_the_one_error_object(cafe, api):
    error = assert_error(
        api.post("payments", {"amount_minor": -5, "kiosk_id": 1}), 400, "parameter_invalid"
    )
    assert error["param"] == "amount_minor"
    assert_error(api.post("payments", {"amount_minor": 5}), 400, "parameter_invalid")
    assert_error(api.post("payments", raw="{not json"), 400, "malformed_body")
    assert_error(api.get("payments/999999"), 404, "resource_missing")


def test_requests_without_a_valid_key_are_refused(cafe):
    assert_error(Api("sk_wrong").get("payments"), 401, "invalid_api_key")
    from django.test import Client

    assert_error(Client().get("/api/v1/payments"), 401, "authentication_required")
    key, secret = merchant_services.api_key_create(merchant_id=cafe.pk, name="old")
    merchant_services.api_key_revoke(api_key_id=key.pk, merchant_id=cafe.pk)
    assert_error(Api(secret).get("payments"), 401, "invalid_api_key")


def test_a_post_without_an_idempotency_key_is_refused(cafe, api):
    response = api.client.post(
        "/api/v1/payments", "{}", content_type="application/json", **api.auth
    )
    assert_error(response, 400, "idempotency_key_required")


def test_the_same_key_and_body_return_the_stored_response(cafe, api):
    counter = f.kiosk(cafe)
    body = {"amount_minor": 100, "kiosk_id": counter.pk}
    first = api.post("payments", body, key="order-1")
    # The same JSON written differently is the same request.
    again = api.post("payments", raw=json.dumps(body, indent=4, sort_keys=True), key="order-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_with_422(cafe, api):
    counter = f.kiosk(cafe)
    api.post("payments", {"amount_minor": 100, "kiosk_id": counter.pk}, key="order-2")
    other = api.post("payments", {"amount_minor": 101, "kiosk_id": counter.pk}, key="order-2")
    assert_error(other, 422, "idempotency_key_reused")
    assert Payment.objects.count() == 1


def test_the_same_key_while_the_first_request_runs_is_refused_with_409(cafe, api):
    counter = f.kiosk(cafe)
    body = {"amount_minor": 100, "kiosk_id": counter.pk}
    from payments.api.idempotency import fingerprint

    IdempotencyRecord.objects.create(
        merchant=cafe,
        key="order-3",
        method="POST",
        path="/api/v1/payments",
        request_hash=fingerprint(
            method="POST", path="/api/v1/payments", body=json.dumps(body).encode()
        ),
    )
    assert_error(api.post("payments", body, key="order-3"), 409, "idempotency_request_in_flight")


def test_an_abandoned_in_flight_key_can_be_retried(cafe, api, settings):
    counter = f.kiosk(cafe)
    body = {"amount_minor": 100, "kiosk_id": counter.pk}
    from payments.api.idempotency import fingerprint

    record = IdempotencyRecord.objects.create(
        merchant=cafe,
        key="order-4",
        method="POST",
        path="/api/v1/payments",
        request_hash=fingerprint(
            method="POST", path="/api/v1/payments", body=json.dumps(body).encode()
        ),
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now()
        - timezone.timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS + 1)
    )
    assert api.post("payments", body, key="order-4").status_code == 201


def test_keys_are_per_merchant(cafe, api):
    other = f.merchant()
    other_api = Api(f.api_key(other))
    a = api.post("payments", {"amount_minor": 100, "kiosk_id": f.kiosk(cafe).pk}, key="same")
    b = other_api.post("payments", {"amount_minor": 100, "kiosk_id": f.kiosk(other).pk}, key="same")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_an_error_answer_is_stored_too(cafe, api):
    first = api.post("payments", {"amount_minor": 100, "kiosk_id": 424242}, key="bad-kiosk")
    assert_error(first, 404, "resource_missing")
    again = api.post("payments", {"amount_minor": 100, "kiosk_id": 424242}, key="bad-kiosk")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


def test_list_filters_and_cursor_pagination(cafe, api):
    counter = f.kiosk(cafe)
    ids = [f.kiosk_payment(cafe, kiosk_=counter, amount_minor=100 + i).pk for i in range(7)]
    services.payment_cancel(payment_id=ids[0])
    page = api.get("payments", limit=3).json()
    assert page["object"] == "list" and len(page["results"]) == 3
    seen = [p["id"] for p in page["results"]]
    while page["next"]:
        page = api.client.get(page["next"], **api.auth).json()
        seen += [p["id"] for p in page["results"]]
    assert seen == sorted(ids, reverse=True)
    canceled = api.get("payments", status="canceled").json()["results"]
    assert [p["id"] for p in canceled] == [ids[0]]
    assert_error(api.get("payments", status="bogus"), 400, "parameter_invalid")


def test_cancel_then_cancel_again_and_a_paid_payment_cannot_be_canceled(cafe, api):
    payment = f.kiosk_payment(cafe)
    response = api.post(f"payments/{payment.pk}/cancel")
    assert response.json()["status"] == "canceled"
    paid = f.paid_payment(cafe, f.customer(balance_minor=1000))
    assert_error(api.post(f"payments/{paid.pk}/cancel"), 409, "payment_not_cancelable")


def test_refunds_through_the_api_full_and_partial(cafe, api):
    casey = f.customer(balance_minor=1000)
    paid = f.paid_payment(cafe, casey, amount_minor=600)
    part = api.post(f"payments/{paid.pk}/refunds", {"amount_minor": 200, "reason": "cold"})
    assert part.status_code == 201 and part.json()["amount_minor"] == 200
    too_much = api.post(f"payments/{paid.pk}/refunds", {"amount_minor": 401})
    assert_error(too_much, 400, "amount_exceeds_refundable")
    rest = api.post(f"payments/{paid.pk}/refunds", {})
    assert rest.json()["amount_minor"] == 400
    body = api.get(f"payments/{paid.pk}").json()
    assert (body["status"], body["amount_refunded_minor"], len(body["refunds"])) == (
        "refunded",
        600,
        2,
    )


def test_a_refund_without_a_body_is_refused_not_taken_as_everything(cafe, api):
    paid = f.paid_payment(cafe, f.customer(balance_minor=1000), amount_minor=600)
    assert_error(api.post(f"payments/{paid.pk}/refunds", raw=""), 400, "parameter_missing")
    assert_error(api.post(f"payments/{paid.pk}/refunds", raw="  \n"), 400, "parameter_missing")
    assert api.get(f"payments/{paid.pk}").json()["amount_refunded_minor"] == 0


def test_a_misspelled_refund_field_is_refused_not_read_as_a_full_refund(cafe, api):
    paid = f.paid_payment(cafe, f.customer(balance_minor=1000), amount_minor=1000)
    refused = api.post(f"payments/{paid.pk}/refunds", {"amount": 100})
    assert_error(refused, 400, "parameter_invalid")
    assert refused.json()["error"]["param"] == "amount"
    assert api.get(f"payments/{paid.pk}").json()["amount_refunded_minor"] == 0


def test_merchant_a_never_sees_merchant_b_data_through_the_api(cafe, api):
    other = f.merchant(name="Café B")
    casey = f.customer(balance_minor=1000)
    theirs = f.paid_payment(other, casey, amount_minor=100)
    their_kiosk = f.kiosk(other)
    assert_error(api.get(f"payments/{theirs.pk}"), 404, "resource_missing")
    assert api.get("payments").json()["results"] == []
    assert_error(api.post(f"payments/{theirs.pk}/refunds", {}), 404, "resource_missing")
    assert_error(api.post(f"payments/{theirs.pk}/cancel"), 404, "resource_missing")
    assert_error(
        api.post("payments", {"amount_minor": 1, "kiosk_id": their_kiosk.pk}),
        404,
        "resource_missing",
    )
    assert api.get("kiosks").json()["results"] == []
    assert Payment.objects.get(pk=theirs.pk).refunded_minor == 0


def test_the_schema_and_the_docs_page_describe_the_api(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/payments" in text and "Idempotency-Key" in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"/api/v1/payments/{payment_id}/refunds" in docs.content
    assert scripts_of(docs.content.decode()) == ["/static/js/site.js"]  # nothing of its own
