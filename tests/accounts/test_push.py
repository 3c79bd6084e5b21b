"""Web Push end to end: a real push service on 127.0.0.1 receives what pywebpush sends;
the test holds the browser's keys, decrypts the message (aes128gcm) and checks the VAPID
signature, as a browser and a push service would."""

from __future__ import annotations

import json

import pytest

from accounts import services
from accounts.models import AuditEvent, PushSubscription
from accounts.push import PushMessage
from tests.webpush import Browser, b64url, verify_vapid

pytestmark = pytest.mark.django_db


def subscribe(client, browser: Browser):
    return client.post(
        "/me/notifications/subscribe/",
        json.dumps(browser.subscription_json()),
        content_type="application/json",
        HTTP_USER_AGENT="Chrome on Ada's phone",
    )


def test_ada_turns_on_notifications_and_receives_the_test_message(
    client, ada, push_service, settings
):
    client.force_login(ada)
    page = client.get("/me/notifications/").content.decode()
    assert f'data-vapid-public-key="{settings.VAPID_PUBLIC_KEY}"' in page
    browser = Browser(push_service.origin + "/push/ada-phone")
    response = subscribe(client, browser)
    assert response.status_code == 201
    subscription = PushSubscription.objects.get(user=ada)
    assert subscription.endpoint == browser.endpoint
    assert subscription.user_agent == "Chrome on Ada's phone"

    response = client.post("/me/notifications/test/", HTTP_ACCEPT="application/json")
    assert response.json() == {"ok": True, "devices": 1}

    (request,) = push_service.received
    assert request["path"] == "/push/ada-phone"
    headers = request["headers"]
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == str(settings.WEBPUSH_TTL_SECONDS)
    assert headers["urgency"] == "high"
    verify_vapid(
        headers["authorization"],
        audience=push_service.origin,
        subject=settings.VAPID_SUBJECT,
        public_key=settings.VAPID_PUBLIC_KEY,
    )
    message = browser.decrypt(request["body"])
    assert message["title"] == "SmilePay"
    assert message["url"] == "/me/notifications/"
    assert message["tag"] == "smilepay-test"
    assert b"SmilePay" not in request["body"]  # encrypted on the wire
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None


def test_notify_customer_pushes_to_every_device_with_the_message_and_actions(ada, push_service):
    phone, laptop = Browser(push_service.origin + "/a"), Browser(push_service.origin + "/b")
    for browser in (phone, laptop):
        data = browser.subscription_json()
        services.push_subscribe(
            user_id=ada.pk,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
        )
    services.notify_customer(
        user_id=ada.pk,
        event={"type": "payment.awaiting_confirmation", "payment_id": 7},
        push=PushMessage(
            title="Confirm €4.50 at Demo Café",
            body="Tap to approve or decline.",
            url="/me/payments/7/confirm/",
            tag="payment-7",
            actions=[{"action": "approve", "title": "Approve"}],
        ),
    )
    assert sorted(r["path"] for r in push_service.received) == ["/a", "/b"]
    by_path = {r["path"]: r["body"] for r in push_service.received}
    for browser, path in ((phone, "/a"), (laptop, "/b")):
        message = browser.decrypt(by_path[path])
        assert message == {
            "title": "Confirm €4.50 at Demo Café",
            "body": "Tap to approve or decline.",
            "url": "/me/payments/7/confirm/",
            "tag": "payment-7",
            "actions": [{"action": "approve", "title": "Approve"}],
            "answer_url": "",
            "answer_token": "",
        }


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_reports_gone_is_deleted(client, ada, push_service, status):
    alive, gone = Browser(push_service.origin + "/alive"), Browser(push_service.origin + "/gone")
    push_service.status_for["/gone"] = status
    client.force_login(ada)
    subscribe(client, alive)
    subscribe(client, gone)
    client.post("/me/notifications/test/")
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [alive.endpoint]
    assert AuditEvent.objects.filter(name="push.subscription_gone", data__status=status).exists()


def test_a_failing_push_service_keeps_the_subscription(client, ada, push_service):
    browser = Browser(push_service.origin + "/busy")
    push_service.status_for["/busy"] = 503
    client.force_login(ada)
    subscribe(client, browser)
    client.post("/me/notifications/test/")
    assert PushSubscription.objects.count() == 1


def test_no_push_leaves_when_the_transaction_rolls_back(ada, push_service):
    from django.db import transaction

    data = Browser(push_service.origin + "/x").subscription_json()
    services.push_subscribe(
        user_id=ada.pk,
        endpoint=data["endpoint"],
        p256dh=data["keys"]["p256dh"],
        auth=data["keys"]["auth"],
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify_customer(
            user_id=ada.pk, event={"type": "x"}, push=PushMessage(title="t", body="b", url="/")
        )
        raise RuntimeError("rolled back")
    assert push_service.received == []


def test_unsubscribing_removes_the_device(client, ada, push_service):
    browser = Browser(push_service.origin + "/p")
    client.force_login(ada)
    subscribe(client, browser)
    response = client.post(
        "/me/notifications/unsubscribe/",
        json.dumps({"endpoint": browser.endpoint}),
        content_type="application/json",
    )
    assert response.json() == {"ok": True, "removed": True}
    assert not PushSubscription.objects.exists()


def test_bad_subscriptions_are_refused(client, ada, settings):
    client.force_login(ada)
    good = Browser("https://push.example.net/x").subscription_json()
    cases = [
        {**good, "endpoint": "http://push.example.net/x"},  # not https
        {**good, "keys": {**good["keys"], "p256dh": b64url(b"\x04" + b"1" * 10)}},
        {**good, "keys": {**good["keys"], "auth": b64url(b"short")}},
    ]
    for case in cases:
        response = client.post(
            "/me/notifications/subscribe/", json.dumps(case), content_type="application/json"
        )
        assert response.status_code == 400, case
    assert not PushSubscription.objects.exists()
    response = client.post(
        "/me/notifications/subscribe/", json.dumps(good), content_type="application/json"
    )
    assert response.status_code == 201


def test_a_device_moves_to_whoever_subscribed_it_last(ada, barack):
    data = Browser("https://push.example.net/shared").subscription_json()
    keys = data["keys"]
    for user in (ada, barack):
        services.push_subscribe(
            user_id=user.pk, endpoint=data["endpoint"], p256dh=keys["p256dh"], auth=keys["auth"]
        )
    assert list(PushSubscription.objects.values_list("user_id", flat=True)) == [barack.pk]


def test_the_service_worker_is_served_from_the_root_with_scope_slash(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert 'addEventListener("push"' in body and "showNotification" in body
