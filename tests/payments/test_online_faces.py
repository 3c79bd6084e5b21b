"""The 1:1 face check with the real engine on real photographs: two customers enrolled
with their own LFW photos; a genuine burst (neutral, then smiling, camera-like jitter)
confirms, the other person's burst and a still photo do not."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

from accounts import enrollment
from payments.models import LedgerAccount, RecognitionAttempt
from payments.online import services as online
from smilepay.faces import verify_threshold
from tests.payments import factories as f
from tests.payments.online_helpers import (
    LFW,
    enrollment_photos,
    face_pay_customer,
    online_request,
    smile_burst,
    still_burst,
)

# The face check is enqueued when its try commits, as in production: real commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module", autouse=True)
def real_engine():
    if not LFW.exists():
        pytest.skip(f"{LFW} is missing (SMILEPAY_FACES_DIR)")


def enroll(person: str):
    """Enroll through accounts' enrollment services with the person's other photos."""
    user = face_pay_customer(encodings=[])
    accepted = 0
    photos = enrollment_photos(person)
    for image in photos:
        try:
            enrollment.enrollment_capture(user_id=user.pk, image=image)
        except enrollment.EnrollmentRefused:
            continue
        accepted += 1
        if accepted == settings.FACE_ENROLL_CAPTURES:
            break
    assert accepted == settings.FACE_ENROLL_CAPTURES, f"{person}: {accepted} captures"
    result = enrollment.enrollment_self_check(user_id=user.pk, image=photos[-1])
    assert result.matched, result
    return user


@pytest.fixture
def people():
    return {"alice": enroll("alice"), "bob": enroll("bob")}


def confirm(person_user, frames):
    payment = online_request(f.merchant(), person_user, amount_minor=700)
    return async_to_sync(online.aonline_face_confirm)(
        payment_id=payment.pk, customer_id=person_user.pk, frames=frames
    )


def test_the_right_person_confirms(people):
    alice = people["alice"]
    payment = confirm(alice, smile_burst("alice"))
    attempt = RecognitionAttempt.objects.get(payment=payment)
    print(f"alice 1:1 distance {attempt.best_distance:.3f} (threshold {verify_threshold():.3f})")
    assert (payment.status, attempt.outcome) == ("succeeded", "matched"), attempt.__dict__
    assert LedgerAccount.objects.get(user=alice).balance_minor == 5000 - 700


@pytest.mark.slow
def test_another_enrolled_person_fails(people):
    payment = confirm(people["alice"], smile_burst("bob"))
    attempt = RecognitionAttempt.objects.get(payment=payment)
    print(f"bob against alice: distance {attempt.best_distance:.3f}")
    assert (payment.status, payment.reason, attempt.outcome) == ("failed", "no_match", "no_match")


@pytest.mark.slow
def test_a_still_photo_fails_liveness(people):
    payment = confirm(people["alice"], still_burst("alice"))
    attempt = RecognitionAttempt.objects.get(payment=payment)
    assert (payment.status, attempt.outcome) == ("failed", "not_live")
