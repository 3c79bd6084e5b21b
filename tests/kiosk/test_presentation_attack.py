"""Presentation attacks with real webcam frames (NUAA, ../shared/faces/pad-nuaa-dev), with
presentation-attack detection on as in production: person 0001 enrolls live in front of
the webcam; a printed photo of them held up to the kiosk's camera is refused as a
presentation attack, named to them and counted against their attempt limit; enrolling
from that photo is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from accounts import enrollment, gallery_cache
from accounts.models import AuditEvent
from kiosk import limits
from payments.models import Payment, RecognitionAttempt
from tests.accounts.conftest import enroll, make_customer
from tests.kiosk.test_recognition_flow import capture, charge, counter  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

NUAA = Path(django_settings.FACES_DIR) / "pad-nuaa-dev"
NUMBER = re.compile(r"_(\d+)\.jpg$")


def webcam(kind: str, capture_id: str, count: int, skip: int = 0) -> list[bytes]:
    """Consecutive frames of one NUAA capture (``kind``: ClientRaw live, ImposterRaw photo)."""
    folder = NUAA / kind / capture_id[:4]
    if not folder.is_dir():
        pytest.skip(f"{folder} is missing (SMILEPAY_FACES_DIR)")
    paths = sorted(folder.glob(f"{capture_id}_*.jpg"), key=lambda p: int(NUMBER.search(p.name)[1]))
    return [p.read_bytes() for p in paths[skip : skip + count]]


@pytest.fixture(autouse=True)
def pad_on(settings):
    settings.FACE_PAD_REQUIRED = True
    cache.clear()
    gallery_cache.forget()


@pytest.fixture
def person_0001():
    """Enrolled live, in front of the webcam, with presentation-attack detection on."""
    user = make_customer("nuaa1@example.com", "+12025550111", name="Nuaa One", consent=True)
    live = webcam("ClientRaw", "0001_00_00_01", 4)
    enroll(user, live[:3], self_check=live[3])
    return user


def test_a_printed_photo_of_a_customer_at_the_kiosk_is_a_presentation_attack_named_to_them(
    client,
    counter,  # noqa: F811
    person_0001,
    settings,
):
    settings.KIOSK_ATTEMPTS_PER_CUSTOMER_HOUR = 1
    payment = charge(client, 300)
    response, _ = capture(client, payment["id"], webcam("ImposterRaw", "0001_00_00_01", 8))
    assert response.status_code == 202, response.content

    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.reason, stored.customer_id) == (
        "failed",
        "presentation_attack",
        None,
    )
    attempt = RecognitionAttempt.objects.get(payment=stored)
    assert (attempt.outcome, attempt.customer_id) == ("presentation_attack", person_0001.pk)
    assert person_0001.pk in set(attempt.near_customers.values_list("pk", flat=True))
    assert attempt.pad_score is not None and attempt.pad_score < 0.1
    state = client.get("/kiosk/api/payments/current").json()["payment"]
    assert (state["status"], state["reason"]) == ("failed", "presentation_attack")

    # The attack counted against the customer's attempts (the limit here is one).
    with pytest.raises(limits.RateLimited):
        limits.check_customer_attempt(customer_id=person_0001.pk)

    settings.KIOSK_ATTEMPTS_PER_CUSTOMER_HOUR = 30
    again = charge(client, 300)
    capture(client, again["id"], webcam("ClientRaw", "0001_00_00_02", 8))
    latest = RecognitionAttempt.objects.filter(payment_id=again["id"]).get()
    assert latest.customer_id == person_0001.pk
    assert latest.pad_score > 0.1, "the live customer passes presentation-attack detection"
    assert latest.outcome == "not_live", "a live face that never smiles fails the challenge"


def test_enrolling_from_a_printed_photo_is_refused_with_a_clear_message(db):
    user = make_customer("nuaa2@example.com", "+12025550112", name="Nuaa Two", consent=True)
    photo = webcam("ImposterRaw", "0001_00_00_01", 1)[0]
    with pytest.raises(enrollment.EnrollmentRefused) as refused:
        enrollment.enrollment_capture(user_id=user.pk, image=photo)
    assert refused.value.code == "presentation_attack"
    assert "photo or a screen" in str(refused.value)
    assert AuditEvent.objects.filter(
        user=user, name="face.enrollment_refused", data__reason="presentation_attack"
    ).exists()
