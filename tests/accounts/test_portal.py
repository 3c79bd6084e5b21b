"""Portal pages: face status, settings and limits, pause, deletion of face data and account;
the selectors other apps use; the customer websocket."""

import asyncio

import pytest
from django.db import connections
from django.test import Client

from accounts import services
from accounts.models import AuditEvent, ConsentRecord, FaceDataKey, FaceTemplate, PhoneCode, User
from accounts.selectors import (
    customer_face_pay_status,
    customer_limits,
    face_pay_candidates,
    face_templates_version,
)
from tests.accounts.conftest import PASSWORD, enroll
from tests.accounts.socket_helpers import customer_socket, signed_in_client

pytestmark = pytest.mark.django_db


def test_every_portal_page_of_accounts_renders_with_the_navigation(client, ada):
    client.force_login(ada)
    for url in [
        "/me/face/",
        "/me/consent/",
        "/me/notifications/",
        "/me/settings/",
        "/me/privacy/",
        "/me/privacy/delete-account/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for link in [
            "/me/",
            "/me/face/",
            "/me/notifications/",
            "/me/settings/",
            "/me/privacy/",
            "/me/payments/",
            "/me/activity/",
        ]:
            assert f'href="{link}"' in page, (url, link)


def test_portal_pages_need_a_signed_in_customer(client):
    for url in ["/me/face/", "/me/settings/", "/me/privacy/", "/me/face/enroll/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/me/face/enroll/check/", b"x", content_type="image/jpeg").status_code == 302


def test_the_defaults_are_no_limits_and_always_confirm(ada):
    limits = customer_limits(user_id=ada.pk)
    assert limits.auto_approve_below_minor == 0
    assert limits.per_payment_limit_minor is None and limits.daily_limit_minor is None
    assert limits.always_require_phone_digits is False


def test_ada_sets_limits_auto_approval_and_phone_digits(client, ada):
    client.force_login(ada)
    response = client.post(
        "/me/settings/",
        {
            "always_require_phone_digits": "on",
            "per_payment_limit": "25.00",
            "daily_limit": "100",
            "auto_approve_below": "2.50",
        },
    )
    assert response["Location"] == "/me/settings/"
    limits = customer_limits(user_id=ada.pk)
    assert limits.per_payment_limit_minor == 2500
    assert limits.daily_limit_minor == 10000
    assert limits.auto_approve_below_minor == 250
    assert limits.always_require_phone_digits is True
    page = client.get("/me/settings/").content.decode()
    assert 'value="25.00"' in page
    assert AuditEvent.objects.filter(user=ada, name="settings.changed").exists()


def test_a_french_customer_types_limits_with_a_decimal_comma(client, ada):
    client.force_login(ada)
    client.post(
        "/me/settings/",
        {"per_payment_limit": "5,00", "daily_limit": "1 234,50", "auto_approve_below": "1,5"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    limits = customer_limits(user_id=ada.pk)
    assert (limits.per_payment_limit_minor, limits.daily_limit_minor) == (500, 123450)
    assert limits.auto_approve_below_minor == 150
    page = client.get("/me/settings/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'value="5,00"' in page and 'inputmode="decimal"' in page
    assert 'type="number"' not in page


def test_an_amount_past_what_the_database_holds_is_a_form_error_not_a_500(client, ada):
    client.force_login(ada)
    response = client.post("/me/settings/", {"daily_limit": "99999999999999999999"})
    assert response.status_code == 200 and "That amount is too large." in response.content.decode()
    assert customer_limits(user_id=ada.pk).daily_limit_minor is None


def test_approving_automatically_above_the_limit_per_payment_is_refused(client, ada):
    client.force_login(ada)
    response = client.post("/me/settings/", {"per_payment_limit": "10", "auto_approve_below": "20"})
    assert response.status_code == 200
    assert "above your limit per face payment" in response.content.decode()
    assert customer_limits(user_id=ada.pk).auto_approve_below_minor == 0


def test_a_per_payment_limit_above_the_daily_limit_is_refused(client, ada):
    client.force_login(ada)
    response = client.post("/me/settings/", {"per_payment_limit": "50", "daily_limit": "10"})
    assert response.status_code == 200
    assert "cannot exceed the daily limit" in response.content.decode()
    assert customer_limits(user_id=ada.pk).per_payment_limit_minor is None


def test_pausing_face_pay_takes_barack_out_of_the_kiosk_search_until_he_resumes(
    client, barack, obama_photos
):
    enroll(barack, obama_photos)
    version = face_templates_version()
    client.force_login(barack)
    client.post("/me/settings/", {"paused": "on", "auto_approve_below": "0"})
    status = customer_face_pay_status(user_id=barack.pk)
    assert status.paused and not status.enabled
    assert list(face_pay_candidates()) == []
    assert face_templates_version() > version
    client.post("/me/settings/", {"auto_approve_below": "0"})
    assert list(face_pay_candidates()) == [barack]


def test_a_pause_that_fails_leaves_the_new_limits_unsaved_too(ada, monkeypatch):
    def registry_down() -> None:
        raise RuntimeError("registry down")

    monkeypatch.setattr(services, "face_templates_bump", registry_down)
    client = Client(raise_request_exception=False)
    client.force_login(ada)
    response = client.post("/me/settings/", {"paused": "on", "per_payment_limit": "25"})
    assert response.status_code == 500
    assert customer_limits(user_id=ada.pk).per_payment_limit_minor is None
    assert not customer_face_pay_status(user_id=ada.pk).paused
    assert not AuditEvent.objects.filter(user=ada, name="settings.changed").exists()


def test_saving_limits_and_the_pause_together_records_both_events(barack, obama_photos):
    enroll(barack, obama_photos)
    change = services.SettingsChange(
        always_require_phone_digits=False,
        per_payment_limit_minor=500,
        daily_limit_minor=None,
        auto_approve_below_minor=0,
    )
    services.face_pay_settings_save(user_id=barack.pk, change=change, paused=True)
    services.face_pay_settings_save(user_id=barack.pk, change=change, paused=False)
    names = AuditEvent.objects.filter(user=barack).values_list("name", flat=True)
    assert {"settings.changed", "face_pay.paused", "face_pay.resumed"} <= set(names)
    assert customer_limits(user_id=barack.pk).per_payment_limit_minor == 500


def test_face_pay_pause_from_another_app_is_idempotent_and_audited(barack):
    services.face_pay_pause(user_id=barack.pk, reason="this wasn't me: attempt 12")
    services.face_pay_pause(user_id=barack.pk, reason="again")
    status = customer_face_pay_status(user_id=barack.pk)
    assert status.paused and status.paused_reason == "this wasn't me: attempt 12"
    assert AuditEvent.objects.filter(name="face_pay.paused").count() == 1


def test_deleting_the_account_anonymises_the_person_and_keeps_the_row(client, barack, obama_photos):
    enroll(barack, obama_photos)
    services.phone_code_send(user_id=barack.pk)
    client.force_login(barack)
    response = client.post("/me/privacy/delete-account/", {"password": "wrong", "confirm": "on"})
    assert response.status_code == 200 and User.objects.get(pk=barack.pk).is_active
    response = client.post("/me/privacy/delete-account/", {"password": PASSWORD, "confirm": "on"})
    assert response["Location"] == "/"
    person = User.objects.get(pk=barack.pk)
    assert person.email == f"deleted-{barack.pk}@deleted.invalid"
    assert (person.full_name, person.phone_e164, person.phone_last4) == ("", None, "")
    assert not person.is_active and person.deleted_at is not None
    assert not person.has_usable_password()
    assert not FaceTemplate.objects.filter(user=barack).exists()
    assert not FaceDataKey.objects.filter(user=barack).exists()
    assert not PhoneCode.objects.filter(user=barack).exists()
    assert list(face_pay_candidates()) == []
    # Proof of consent stays, without the network identity.
    assert set(ConsentRecord.objects.filter(user=barack).values_list("action", flat=True)) == {
        "granted",
        "withdrawn",
    }
    assert not ConsentRecord.objects.filter(user=barack, ip_address__isnull=False).exists()
    assert AuditEvent.objects.filter(user=barack, name="account.deleted").exists()
    # Signed out, and cannot sign in again.
    assert client.get("/me/face/").status_code == 302
    assert not client.login(username="barack@example.com", password=PASSWORD)


def test_the_face_page_shows_the_status(client, barack, obama_photos):
    client.force_login(barack)
    assert "not enrolled" in client.get("/me/face/").content.decode()
    enroll(barack, obama_photos)
    page = client.get("/me/face/").content.decode()
    assert "Face pay is on." in page and "3 face templates" in page


@pytest.mark.django_db(transaction=True)
def test_the_customer_websocket_sends_the_state_on_connect_then_live_events(barack, obama_photos):
    client = signed_in_client(barack)

    async def scenario():
        communicator = customer_socket(client)
        connected, _ = await communicator.connect()
        assert connected
        state = await communicator.receive_json_from(timeout=5)
        from channels.db import database_sync_to_async

        await database_sync_to_async(services.face_pay_pause)(user_id=barack.pk, reason="test")
        event = await communicator.receive_json_from(timeout=5)
        await database_sync_to_async(services.notify_customer)(
            user_id=barack.pk, event={"type": "payment.succeeded", "payment_id": 3}
        )
        second = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        await database_sync_to_async(connections.close_all)()  # the worker thread's
        return state, event, second

    state, event, second = asyncio.run(scenario())
    assert state["type"] == "state"
    assert state["face_pay"] == {
        "enabled": False,
        "paused": False,
        "consent_current": True,
        "template_count": 0,
    }
    assert event["event"]["type"] == "face.status" and event["event"]["paused"] is True
    assert second == {"type": "event", "event": {"type": "payment.succeeded", "payment_id": 3}}


@pytest.mark.django_db(transaction=True)
def test_the_customer_websocket_refuses_anonymous_visitors():
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator
    from django.contrib.auth.models import AnonymousUser

    from smilepay.routing import websocket_urlpatterns

    async def scenario():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/customer/")
        communicator.scope["user"] = AnonymousUser()
        connected, code = await communicator.connect()
        from channels.db import database_sync_to_async

        await database_sync_to_async(connections.close_all)()
        return connected, code

    assert asyncio.run(scenario()) == (False, 4401)


def test_other_apps_can_add_to_the_websocket_state_and_a_failing_one_spoils_nothing(barack):
    """The hook itself (accounts must not import payments); payments' real receiver, the
    pending confirmations, is tested in tests/payments/test_portal_live.py."""
    from accounts.consumers import customer_state
    from accounts.signals import customer_state_requested

    def pending(sender, user_id, **kwargs):
        return {"pending": [{"payment_id": 1}]}

    def broken(sender, user_id, **kwargs):
        raise RuntimeError("this app is down")

    customer_state_requested.connect(pending)
    customer_state_requested.connect(broken)
    try:
        state = customer_state(user_id=barack.pk)
    finally:
        customer_state_requested.disconnect(pending)
        customer_state_requested.disconnect(broken)
    assert state["pending"] == [{"payment_id": 1}]
    assert state["face_pay"]["consent_current"] is True


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("paused by the customer", "You paused it."),
        ("flagged recognition attempt 12", "You said a recognition of your face was not you."),
    ],
)
def test_the_face_page_says_why_face_pay_is_paused_in_the_customers_words(
    client, barack, obama_photos, reason, said
):
    enroll(barack, obama_photos)
    services.face_pay_pause(user_id=barack.pk, reason=reason)
    client.force_login(barack)
    page = client.get("/me/face/").content.decode()
    assert said in page and reason not in page
    french = client.get("/me/face/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "suspendu" in french and reason not in french and said not in french


def test_french_pages_use_one_word_for_email_and_the_currency_sign_of_amounts(client, ada):
    reset = client.get("/accounts/password-reset/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Votre e-mail" in reset and "Courriel" not in reset
    client.force_login(ada)
    settings_page = client.get("/me/settings/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "($US)" in settings_page and "(USD)" not in settings_page
