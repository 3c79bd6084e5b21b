from datetime import timedelta

import pytest
from django.utils import timezone

from kiosk.devices import DEVICE_COOKIE, PairingError, kiosk_for_device, kiosk_pair
from payments.models import KioskPairingCode
from payments.services import kiosk_issue_pairing_code
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
