from datetime import timedelta

import pytest
from django.utils import timezone

from kiosk.devices import DEVICE_COOKIE
from merchants.errors import PairingError
from merchants.models import KioskPairingCode
from merchants.selectors import kiosk_for_device
from merchants.services import kiosk_issue_pairing_code, kiosk_pair
from tests.kiosk.factories import make_kiosk

pytestmark = pytest.mark.django_db


def test_a_pairing_code_binds_a_device_to_its_kiosk_once():
    kiosk = make_kiosk()
    code = kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
    pairing = kiosk_pair(code=code.lower())  # cashiers type in any case
    assert pairing.kiosk_id == kiosk.pk
    assert kiosk_for_device(device_token=pairing.device_token) == kiosk
    with pytest.raises(PairingError):
        kiosk_pair(code=code)


def test_it_rejects_an_expired_or_unknown_code():
    kiosk = make_kiosk()
    code = kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
    KioskPairingCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PairingError):
        kiosk_pair(code=code)
    with pytest.raises(PairingError):
        kiosk_pair(code="NOPE2345")


def test_pairing_again_replaces_the_earlier_device():
    kiosk = make_kiosk()
    first = kiosk_pair(code=kiosk_issue_pairing_code(kiosk_id=kiosk.pk))
    second = kiosk_pair(code=kiosk_issue_pairing_code(kiosk_id=kiosk.pk))
    assert kiosk_for_device(device_token=first.device_token) is None
    assert kiosk_for_device(device_token=second.device_token) == kiosk


def test_a_revoked_kiosk_loses_its_device():
    kiosk = make_kiosk()
    pairing = kiosk_pair(code=kiosk_issue_pairing_code(kiosk_id=kiosk.pk))
    kiosk.revoked_at = timezone.now()
    kiosk.save(update_fields=["revoked_at"])
    assert kiosk_for_device(device_token=pairing.device_token) is None


def test_the_pairing_page_sets_a_long_lived_http_only_cookie(client):
    kiosk = make_kiosk()
    code = kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
    response = client.post("/kiosk/pair", {"code": code})
    assert response.status_code == 302
    cookie = response.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) >= 300 * 24 * 3600
    page = client.get("/kiosk/")
    assert b"Smile to pay" in page.content


def test_the_pairing_page_explains_a_bad_code(client):
    response = client.post("/kiosk/pair", {"code": "WRONG"})
    assert response.status_code == 400
    assert b"not valid" in response.content


def test_an_unpaired_device_gets_the_pairing_form_and_no_api(client):
    assert b"Pair this kiosk" in client.get("/kiosk/").content
    response = client.get("/kiosk/api/payments/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_paired"


def test_the_qr_code_link_fills_in_the_pairing_code(client):
    assert b'value="ABCD2345"' in client.get("/kiosk/?code=ABCD2345").content


def _staff(kiosk, *, role: str, email: str) -> None:
    from django.contrib.auth import get_user_model

    from merchants.models import MerchantMembership

    user = get_user_model().objects.create_user(email, "staff passphrase 1")
    MerchantMembership.objects.create(merchant=kiosk.merchant, user=user, role=role)


def _paired_client(client, kiosk):
    client.post("/kiosk/pair", {"code": kiosk_issue_pairing_code(kiosk_id=kiosk.pk)})
    return client.cookies[DEVICE_COOKIE].value


def test_unpairing_needs_a_managers_own_sign_in(client):
    kiosk = make_kiosk()
    _staff(kiosk, role="cashier", email="cashier@cafe.example")
    token = _paired_client(client, kiosk)
    for email, password in [
        ("", ""),
        ("owner@cafe.example", "a guess"),
        ("cashier@cafe.example", "staff passphrase 1"),
    ]:
        refused = client.post("/kiosk/unpair", {"email": email, "password": password})
        assert refused.status_code == 403
        assert kiosk_for_device(device_token=token) == kiosk  # still paired
    assert "Only an owner or manager" in refused.content.decode()


def test_a_manager_unpairs_and_the_old_cookie_stops_working_on_the_server(client):
    kiosk = make_kiosk()
    _staff(kiosk, role="manager", email="manager@cafe.example")
    token = _paired_client(client, kiosk)
    done = client.post(
        "/kiosk/unpair", {"email": "manager@cafe.example", "password": "staff passphrase 1"}
    )
    assert done.status_code == 302
    said = client.get(done["Location"]).content.decode()
    assert "This device is unpaired" in said and "Pair this kiosk" in said
    assert kiosk_for_device(device_token=token) is None
    kiosk.refresh_from_db()
    assert kiosk.revoked_at is not None
    # The same cookie, kept by somebody: refused by the API, the page shows pairing.
    from django.test import Client

    thief = Client()
    thief.cookies[DEVICE_COOKIE] = token
    assert thief.get("/kiosk/api/payments/current").status_code == 401
    assert b"Pair this kiosk" in thief.get("/kiosk/").content


def test_unpairing_cancels_the_kiosks_open_payment(client, django_capture_on_commit_callbacks):
    from payments.models import Payment
    from payments.services import payment_create

    kiosk = make_kiosk()
    _staff(kiosk, role="owner", email="owner@cafe.example")
    _paired_client(client, kiosk)
    payment = payment_create(
        merchant_id=kiosk.merchant_id, amount_minor=300, currency="USD", kiosk_id=kiosk.pk
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/kiosk/unpair", {"email": "owner@cafe.example", "password": "staff passphrase 1"}
        )
    payment.refresh_from_db()
    assert (payment.status, payment.reason) == (Payment.Status.CANCELED, "kiosk_revoked")


def test_a_manager_of_another_shop_cannot_unpair_this_kiosk(client):
    kiosk = make_kiosk()
    other = make_kiosk(merchant_name="Other Bakery")
    _staff(other, role="owner", email="owner@bakery.example")
    token = _paired_client(client, kiosk)
    refused = client.post(
        "/kiosk/unpair", {"email": "owner@bakery.example", "password": "staff passphrase 1"}
    )
    assert refused.status_code == 403
    assert kiosk_for_device(device_token=token) == kiosk


def test_unpair_tries_are_limited_per_kiosk(client, settings):
    settings.KIOSK_UNPAIR_ATTEMPTS = 3
    kiosk = make_kiosk()
    _staff(kiosk, role="owner", email="owner@cafe.example")
    token = _paired_client(client, kiosk)
    for n in range(3):
        client.post("/kiosk/unpair", {"email": f"x{n}@cafe.example", "password": "guess"})
    limited = client.post(
        "/kiosk/unpair", {"email": "owner@cafe.example", "password": "staff passphrase 1"}
    )
    assert limited.status_code == 429
    assert kiosk_for_device(device_token=token) == kiosk


def test_a_device_paired_later_sees_nothing_of_the_counters_past(client):
    """Not the last payment on screen, not an old one by its id (its cancel answered with
    the payment, masked customer name and all, for any id)."""
    from datetime import timedelta

    from payments.models import Payment
    from tests.payments import factories as f

    kiosk = make_kiosk()
    earlier = f.paid_payment(kiosk.merchant, f.customer(balance_minor=1000), amount_minor=300)
    Payment.objects.filter(pk=earlier.pk).update(
        kiosk=kiosk, created_at=timezone.now() - timedelta(hours=1)
    )
    client.post("/kiosk/pair", {"code": kiosk_issue_pairing_code(kiosk_id=kiosk.pk)})
    assert client.get("/kiosk/api/payments/current").json()["payment"] is None
    walked = client.post(f"/kiosk/api/payments/{earlier.pk}/cancel")
    assert walked.status_code == 404 and "customer" not in walked.content.decode()


def test_a_device_paired_later_hears_nothing_live_of_the_counters_past(client):
    """A refund of an old payment changes its status: the new device's socket is not told."""
    from datetime import timedelta

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from kiosk.realtime import broadcast_payment, kiosk_group
    from payments.models import Payment
    from tests.payments import factories as f

    kiosk = make_kiosk()
    casey = f.customer(balance_minor=1000)
    earlier = f.paid_payment(kiosk.merchant, casey, amount_minor=300)
    Payment.objects.filter(pk=earlier.pk).update(
        kiosk=kiosk, created_at=timezone.now() - timedelta(hours=1)
    )
    kiosk_pair(code=kiosk_issue_pairing_code(kiosk_id=kiosk.pk))
    now = f.kiosk_payment(kiosk.merchant, amount_minor=200, kiosk_=kiosk)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(kiosk_group(kiosk.pk), channel)
    broadcast_payment(payment_id=earlier.pk)
    broadcast_payment(payment_id=now.pk)
    heard = async_to_sync(layer.receive)(channel)
    assert heard["payment"]["id"] == now.pk  # the first thing heard: nothing of the past


def test_a_device_whose_pairing_ended_is_told_why_it_must_pair_again(client):
    kiosk = make_kiosk()
    client.post("/kiosk/pair", {"code": kiosk_issue_pairing_code(kiosk_id=kiosk.pk)})
    kiosk.revoked_at = timezone.now()
    kiosk.save(update_fields=["revoked_at"])
    page = client.get("/kiosk/").content.decode()
    assert "This device is no longer paired with its kiosk" in page
    assert "no longer paired" not in client.get("/kiosk/").content.decode()  # said once
