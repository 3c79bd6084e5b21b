"""Biometric consent: explicit, versioned, logged; withdrawal switches face pay off."""

import pytest
from django.conf import settings

from accounts import enrollment, services
from accounts.consent import CONSENT_TEXTS, ConsentText, current_consent
from accounts.errors import AccountsError, ConsentRequired, PhoneNotVerified
from accounts.models import AuditEvent, ConsentRecord, FaceDataKey, FaceTemplate
from accounts.selectors import customer_face_pay_status, face_pay_candidates
from tests.accounts.conftest import PASSWORD, enroll, make_customer

pytestmark = pytest.mark.django_db


def test_the_consent_page_says_what_why_how_long_who_and_how_to_withdraw_unticked(client, ada):
    client.force_login(ada)
    page = client.get("/me/consent/").content.decode()
    for heading in ("What we store", "Why", "How long", "Who sees matches", "How to withdraw"):
        assert heading in page
    assert 'type="checkbox" name="agree"' in page
    assert "checked" not in page.split('name="agree"')[1].split(">")[0]
    assert f'value="{settings.BIOMETRIC_CONSENT_VERSION}"' in page


def test_consent_needs_the_box_ticked(client, ada):
    client.force_login(ada)
    response = client.post("/me/consent/", {"version": settings.BIOMETRIC_CONSENT_VERSION})
    assert response.status_code == 200
    assert not ConsentRecord.objects.exists()


def test_ada_consents_and_the_grant_is_recorded_with_time_version_ip_and_browser(client, ada):
    client.force_login(ada)
    response = client.post(
        "/me/consent/",
        {"version": settings.BIOMETRIC_CONSENT_VERSION, "agree": "on"},
        REMOTE_ADDR="198.51.100.23",
        HTTP_USER_AGENT="Mozilla/5.0 (Phone)",
    )
    assert response["Location"] == "/me/face/enroll/"
    record = ConsentRecord.objects.get(user=ada)
    assert record.action == "granted"
    assert record.version == settings.BIOMETRIC_CONSENT_VERSION
    assert record.text_sha256 == current_consent().sha256
    assert record.ip_address == "198.51.100.23"
    assert record.user_agent == "Mozilla/5.0 (Phone)"
    assert record.created_at is not None
    assert customer_face_pay_status(user_id=ada.pk).consent_current
    assert AuditEvent.objects.filter(user=ada, name="consent.granted").exists()


def test_consent_needs_a_verified_phone(db):
    unverified = make_customer("nova@example.com", "+12025550111", verified=False)
    with pytest.raises(PhoneNotVerified):
        services.consent_grant(user_id=unverified.pk, version=settings.BIOMETRIC_CONSENT_VERSION)


def test_consent_to_an_outdated_text_is_refused(ada):
    with pytest.raises(AccountsError) as excinfo:
        services.consent_grant(user_id=ada.pk, version="1999-01")
    assert excinfo.value.code == "stale_consent"


def test_no_enrollment_without_consent(client, ada, obama_photos):
    with pytest.raises(ConsentRequired):
        enrollment.enrollment_capture(user_id=ada.pk, image=obama_photos[0])
    client.force_login(ada)
    assert client.get("/me/face/enroll/")["Location"] == "/me/consent/"
    response = client.post("/me/face/enroll/capture/", obama_photos[0], content_type="image/jpeg")
    assert response.status_code == 403
    assert response.json()["error"] == "consent_required"
    assert not FaceTemplate.objects.exists()


def test_withdrawing_turns_face_pay_off_at_once_and_destroys_the_templates(
    client, barack, obama_photos
):
    enroll(barack, obama_photos)
    assert list(face_pay_candidates()) == [barack]
    client.force_login(barack)
    response = client.post(
        "/me/consent/withdraw/", REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="Firefox"
    )
    assert response["Location"] == "/me/privacy/"
    assert list(face_pay_candidates()) == []
    assert not FaceTemplate.objects.filter(user=barack).exists()
    assert not FaceDataKey.objects.filter(user=barack).exists()
    status = customer_face_pay_status(user_id=barack.pk)
    assert (status.enabled, status.consent_version, status.template_count) == (False, "", 0)
    withdrawal = ConsentRecord.objects.filter(user=barack).first()
    assert (withdrawal.action, withdrawal.ip_address, withdrawal.user_agent) == (
        "withdrawn",
        "198.51.100.9",
        "Firefox",
    )
    names = list(AuditEvent.objects.filter(user=barack).values_list("name", flat=True))
    assert "consent.withdrawn" in names and "face.deleted" in names


def test_a_new_consent_version_stops_face_pay_until_the_customer_accepts_it(
    settings, barack, obama_photos
):
    enroll(barack, obama_photos)
    new = ConsentText(
        version="2027-01",
        title="Paying with your face",
        sections=current_consent().sections,
        checkbox=current_consent().checkbox,
    )
    CONSENT_TEXTS["2027-01"] = new
    try:
        settings.BIOMETRIC_CONSENT_VERSION = "2027-01"
        assert list(face_pay_candidates()) == []
        assert not customer_face_pay_status(user_id=barack.pk).enabled
        services.consent_grant(user_id=barack.pk, version="2027-01")
        assert list(face_pay_candidates()) == [barack]
    finally:
        del CONSENT_TEXTS["2027-01"]


def test_granting_twice_records_once(ada):
    version = settings.BIOMETRIC_CONSENT_VERSION
    assert services.consent_grant(user_id=ada.pk, version=version) is not None
    assert services.consent_grant(user_id=ada.pk, version=version) is None
    assert ConsentRecord.objects.filter(user=ada).count() == 1


def test_the_privacy_page_lists_every_grant_and_withdrawal(client, ada):
    version = settings.BIOMETRIC_CONSENT_VERSION
    services.consent_grant(user_id=ada.pk, version=version, ip="203.0.113.1")
    services.consent_withdraw(user_id=ada.pk, ip="203.0.113.2")
    services.consent_grant(user_id=ada.pk, version=version, ip="203.0.113.3")
    client.login(username="ada@example.com", password=PASSWORD)
    page = client.get("/me/privacy/").content.decode()
    assert page.count("Granted") == 2 and page.count("Withdrawn") == 1
    assert "203.0.113.2" in page
