"""A capture token carries one burst, however many uploads race with it (PostgreSQL)."""

import io
import json

import pytest
from PIL import Image

from kiosk import services as kiosk_services
from kiosk.models import CaptureSession
from kiosk.services import CaptureError, capture_session_open, capture_submit, kiosk_start_payment
from tests.concurrency import run_concurrently, without_row_locks
from tests.kiosk.factories import make_kiosk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
N = 8


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "grey").save(out, format="JPEG")
    return out.getvalue()


def race_with_one_token(monkeypatch) -> tuple[list, list, list[int]]:
    enqueued: list[int] = []
    # Recognition itself is not under test: count the bursts handed to it.
    monkeypatch.setattr(
        kiosk_services, "_enqueue_recognition", lambda **job: enqueued.append(job["session_id"])
    )
    counter = make_kiosk()
    payment = kiosk_start_payment(kiosk_id=counter.pk, amount_minor=500)
    ticket = capture_session_open(kiosk_id=counter.pk, payment_id=payment.pk)
    frames = [jpeg()] * 4
    payments, errors = run_concurrently(
        N,
        lambda i: capture_submit(
            kiosk_id=counter.pk,
            token=ticket.token,
            frames=frames,
            frame_times=json.dumps([0, 400, 800, 1200]),
        ),
        hold_before_writing=CaptureSession,
    )
    return payments, errors, enqueued


def test_uploads_racing_with_one_capture_token_start_one_recognition(on_postgres, monkeypatch):
    payments, errors, enqueued = race_with_one_token(monkeypatch)
    assert len([payment for payment in payments if payment is not None]) == 1
    assert len(enqueued) == 1
    assert len(errors) == N - 1
    assert {(type(e), e.code) for e in errors} == {(CaptureError, "token_used")}


def test_without_the_token_lock_the_payment_check_still_refuses_but_says_why_wrongly(
    on_postgres, monkeypatch
):
    """The control: without the lock on the token's row, the others read it unused; the
    row update then queues them and the payment's state stops a second recognition, but
    the kiosk is told the payment moved rather than that its token was spent."""
    without_row_locks(monkeypatch, CaptureSession)
    _payments, errors, enqueued = race_with_one_token(monkeypatch)
    assert len(enqueued) == 1
    assert {(type(e), e.code) for e in errors} == {(CaptureError, "wrong_state")}
