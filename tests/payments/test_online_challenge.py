"""Online checkout's capture ticket: the page asks for a challenge first, and a burst is
taken only with that ticket's one-time token and its frames' capture times. The last
test runs the real engine on LFW photos: a recording of the usual sequence sent against
a smile-relax-smile ticket fails, and the attempt names the customer whose face it was."""

from __future__ import annotations

import io
import json

import pytest
from asgiref.sync import async_to_sync
from PIL import Image

from accounts import recognition
from accounts.recognition import Outcome, RecognitionResult
from payments.models import Payment, RecognitionAttempt
from payments.online import services as online
from smilepay.faces import CaptureTimes
from tests.payments import factories as f
from tests.payments.online_helpers import (
    LFW,
    face_pay_customer,
    online_request,
    post_face_burst,
    smile_burst,
)
from tests.payments.test_online_faces import enroll

# The face check is enqueued when its try commits, as in production: real commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def casey(client):
    user = face_pay_customer()
    client.force_login(user)
    return user


@pytest.fixture
def verified(monkeypatch):
    """Stand-in for the face check (named so): every burst that reaches it is verified."""
    monkeypatch.setattr(
        online,
        "verify_burst",
        lambda *, customer_id, **_: RecognitionResult(
            Outcome.MATCHED, customer_id=customer_id, best_distance=0.2, threshold=0.31
        ),
    )


def frames(count: int = 8) -> list[io.BytesIO]:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(out, "JPEG")
    return [io.BytesIO(out.getvalue()) for _ in range(count)]


def face_url(payment) -> str:
    return f"/me/payments/{payment.pk}/confirm/face/"


def test_the_start_call_hands_out_a_token_and_a_challenge_of_the_servers_choosing(client, casey):
    payment = online_request(f.merchant(), casey)
    started = client.post(face_url(payment) + "start/")
    assert started.status_code == 201
    body = started.json()
    assert body["token"] and body["challenge"]["pattern"] in {
        "neutral-smile",
        "smile-neutral-smile",
    }
    assert Payment.objects.get(pk=payment.pk).match_attempts == 0, "nothing counted yet"


def test_a_burst_without_a_ticket_is_refused_before_a_try_is_counted(client, casey, verified):
    payment = online_request(f.merchant(), casey)
    times = json.dumps([250 * i for i in range(8)])
    answer = client.post(face_url(payment), {"frame": frames(), "timestamps": times})
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "bad_token"
    assert Payment.objects.get(pk=payment.pk).match_attempts == 0


def test_a_ticket_works_once_and_only_for_its_own_payment(client, casey, verified):
    shop = f.merchant()
    first, second = online_request(shop, casey), online_request(shop, casey)
    token = client.post(face_url(first) + "start/").json()["token"]
    times = json.dumps([250 * i for i in range(8)])
    elsewhere = client.post(
        face_url(second), {"frame": frames(), "token": token, "timestamps": times}
    )
    assert elsewhere.json()["error"]["code"] == "bad_token"
    token = client.post(face_url(first) + "start/").json()["token"]
    used = {"frame": frames(), "token": token, "timestamps": times}
    assert client.post(face_url(first), used).json()["status"] == "succeeded"
    again = client.post(face_url(first), {**used, "frame": frames()})
    assert again.status_code == 409


def test_a_burst_without_capture_times_is_refused_and_its_ticket_kept(client, casey, verified):
    payment = online_request(f.merchant(), casey)
    token = client.post(face_url(payment) + "start/").json()["token"]
    answer = client.post(face_url(payment), {"frame": frames(), "token": token})
    assert answer.json()["error"]["code"] == "bad_times"
    assert Payment.objects.get(pk=payment.pk).match_attempts == 0
    nested = {"frame": frames(), "token": token, "timestamps": "[" * 5000}
    assert client.post(face_url(payment), nested).json()["error"]["code"] == "bad_times"
    # The ticket was not spent on them: the same one takes the burst sent right.
    times = json.dumps([250 * i for i in range(8)])
    again = client.post(face_url(payment), {"frame": frames(), "token": token, "timestamps": times})
    assert again.json()["status"] == "succeeded"


def test_the_page_helper_follows_the_ticket(client, casey, verified):
    payment = online_request(f.merchant(), casey)
    answer = post_face_burst(client, payment.pk, [b.getvalue() for b in frames()])
    assert answer.json()["status"] == "succeeded"


@pytest.mark.slow
def test_a_recording_of_the_usual_sequence_fails_a_smile_relax_smile_ticket(settings):
    if not LFW.exists():
        pytest.skip(f"{LFW} is missing (SMILEPAY_FACES_DIR)")
    settings.FACE_CHALLENGES = ["smile-neutral-smile"]
    alice = enroll("alice")
    payment = online_request(f.merchant(), alice, amount_minor=700)
    ticket = online.face_capture_open(payment_id=payment.pk, customer_id=alice.pk)
    capture = online.face_capture_claim(
        token=ticket["token"], payment_id=payment.pk, customer_id=alice.pk
    )
    recording = smile_burst("alice", per_phase=4) + smile_burst("alice", per_phase=1)[-1:]
    times = CaptureTimes(capture.challenge.planned_times())
    failed = async_to_sync(online.aonline_face_confirm)(
        payment_id=payment.pk, customer_id=alice.pk, frames=recording, capture=capture, times=times
    )
    attempt = RecognitionAttempt.objects.get(payment=failed)
    assert (failed.status, failed.reason) == ("failed", "not_live")
    assert (attempt.outcome, attempt.customer_id) == ("not_live", alice.pk)


def test_a_printed_photo_of_the_customer_on_the_phone_is_a_presentation_attack_of_theirs(
    settings,
):
    """Real webcam frames (NUAA): the customer's templates from live frames, then a printed
    photo of them held up, with presentation-attack detection on as in production."""
    from smilepay.faces import analyze
    from tests.kiosk.test_presentation_attack import webcam

    settings.FACE_PAD_REQUIRED = True
    live = webcam("ClientRaw", "0001_00_00_01", 3)
    templates = [analyze(frame, want_smile=False)[0].encoding for frame in live]
    check = recognition.verify_burst(
        frames=webcam("ImposterRaw", "0001_00_00_01", 8), customer_id=7, templates=templates
    )
    assert (check.outcome, check.customer_id) == ("presentation_attack", 7)
    assert check.pad_score is not None and check.pad_score < 0.1
