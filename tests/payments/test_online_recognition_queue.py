"""Online checkout's face check runs like the kiosk's: the burst waits in the cache for a
task on the `recognition` queue, which is safe to run twice, never decides a newer try
than its own, and shares the kiosk's time budget and stuck-matching sweep. The face
engine's verdict is stood in (tests/payments/test_online_faces.py runs the real one)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from PIL import Image

from accounts.recognition import Outcome, RecognitionResult
from payments.models import Payment, RecognitionAttempt
from payments.online import services as online
from payments.tasks import expire_due_payments, fail_stuck_matching, verify_online_face
from smilepay import frames as smilepay_frames
from smilepay.celery import app
from tests.payments import factories as f
from tests.payments.online_helpers import face_pay_customer, online_request, post_face_burst

# The task is enqueued when its try commits, as in production: real commits.
pytestmark = pytest.mark.django_db(transaction=True)
S = Payment.Status


@pytest.fixture
def casey(client):
    user = face_pay_customer(balance_minor=5000)
    client.force_login(user)
    return user


@pytest.fixture
def engine(monkeypatch):
    """Stand-in for the 1:1 check (named so): every burst is the customer's; counts runs."""
    calls = []

    def verified(*, frames, customer_id, **_):
        calls.append(len(frames))
        return RecognitionResult(
            Outcome.MATCHED, customer_id=customer_id, best_distance=0.2, threshold=0.31
        )

    monkeypatch.setattr(online, "verify_burst", verified)
    return calls


class Queue(list):
    """The `recognition` queue with no worker on it: each enqueued task's arguments, for
    the test to run (or lose), until a worker is ``working`` again."""

    working = False

    def __init__(self, enqueue) -> None:
        super().__init__()
        self.enqueue = enqueue

    def __call__(self, job: dict) -> None:
        self.append(job)
        if self.working:
            self.enqueue(job)


@pytest.fixture
def queue(monkeypatch):
    held = Queue(online._enqueue_face_check)
    monkeypatch.setattr(online, "_enqueue_face_check", held)
    return held


def jpeg_frames(count: int = 8) -> list[bytes]:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(out, "JPEG")
    return [out.getvalue()] * count


def start_try(payment, customer) -> online.FaceCheckTicket:
    return online.face_check_submit(
        payment_id=payment.pk, customer_id=customer.pk, frames=jpeg_frames()
    )


def past_the_budget(payment, settings) -> None:
    Payment.objects.filter(pk=payment.pk).update(
        updated_at=timezone.now() - timedelta(seconds=settings.PAYMENT_MATCHING_TIMEOUT_SECONDS + 1)
    )


def test_the_online_face_check_is_routed_to_the_recognition_queue():
    def queue_of(name: str) -> str:
        return app.amqp.router.route({}, name, (), {})["queue"].name

    assert queue_of(verify_online_face.name) == "recognition"
    assert queue_of("kiosk.tasks.recognize") == "recognition"
    assert queue_of("payments.tasks.deliver_webhook") == "webhooks"  # not face work either


def test_the_upload_starts_the_try_and_leaves_the_frames_only_in_the_cache(casey, queue):
    payment = online_request(f.merchant(), casey)
    ticket = start_try(payment, casey)
    (job,) = queue
    assert (job["payment_id"], job["customer_id"], job["attempt"]) == (payment.pk, casey.pk, 1)
    assert ticket.attempt == 1
    assert Payment.objects.get(pk=payment.pk).status == S.MATCHING
    assert cache.get(job["frames_key"]) == jpeg_frames()


def test_running_the_task_twice_decides_the_try_once(casey, queue, engine):
    payment = online_request(f.merchant(), casey, amount_minor=700)
    start_try(payment, casey)
    (job,) = queue
    assert verify_online_face(**job) == "matched"
    assert verify_online_face(**job) == "already_processed"
    assert engine == [8]
    assert RecognitionAttempt.objects.filter(payment=payment).count() == 1
    assert Payment.objects.get(pk=payment.pk).status == S.SUCCEEDED
    assert cache.get(job["frames_key"]) is None


def test_a_late_task_of_an_older_try_does_not_decide_the_newer_one(casey, queue, engine, settings):
    payment = online_request(f.merchant(), casey)
    start_try(payment, casey)
    past_the_budget(payment, settings)
    assert fail_stuck_matching() == 1
    start_try(payment, casey)
    old, new = queue
    assert (old["attempt"], new["attempt"]) == (1, 2)
    assert verify_online_face(**old) == "payment_moved"
    assert engine == []
    assert not RecognitionAttempt.objects.filter(payment=payment).exists()
    assert Payment.objects.get(pk=payment.pk).status == S.MATCHING
    assert verify_online_face(**new) == "matched"
    assert Payment.objects.get(pk=payment.pk).status == S.SUCCEEDED


def test_a_try_whose_worker_died_is_failed_by_the_sweep_and_may_be_retried(
    casey, client, queue, engine, settings
):
    settings.PAYMENT_MAX_MATCH_ATTEMPTS = 3
    payment = online_request(f.merchant(), casey)
    start_try(payment, casey)  # its task is never run: the worker died with it
    assert fail_stuck_matching() == 0  # within the budget it is left alone
    past_the_budget(payment, settings)
    assert fail_stuck_matching() == 1
    failed = Payment.objects.get(pk=payment.pk)
    assert (failed.status, failed.reason) == (S.FAILED, "recognition_timeout")
    assert online.attempts_left(failed) == 2
    # The customer tries again; this time a worker answers.
    queue.working = True
    answer = post_face_burst(client, payment.pk, jpeg_frames())
    assert answer.status_code == 200, answer.content
    assert (answer.json()["status"], answer.json()["attempts_left"]) == ("succeeded", 1)
    assert [job["attempt"] for job in queue] == [1, 2]


def test_the_phone_is_told_when_no_worker_answers_within_the_budget(casey, client, queue, settings):
    settings.PAYMENT_MATCHING_TIMEOUT_SECONDS = 1
    payment = online_request(f.merchant(), casey)
    answer = post_face_burst(client, payment.pk, jpeg_frames())
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["status"], body["reason"], body["attempts_left"]) == (
        "failed",
        "recognition_timeout",
        4,
    )
    assert body["message"] == "That took too long. Try again."
    # The message, delivered late, does not decide the try that was given up.
    (job,) = queue
    assert verify_online_face(**job) == "payment_moved"
    assert Payment.objects.get(pk=payment.pk).reason == "recognition_timeout"


def test_a_last_try_that_times_out_ends_the_request_and_it_does_not_expire_later(
    casey, queue, settings
):
    """The sweep's time-out is a failed try like any other: on the last one the merchant
    hears `too_many_attempts` once, never `payment.expired` after it."""
    settings.PAYMENT_MAX_MATCH_ATTEMPTS = 1
    payment = online_request(f.merchant(), casey)
    start_try(payment, casey)  # no worker ever answers
    past_the_budget(payment, settings)
    assert fail_stuck_matching() == 1
    failed = Payment.objects.get(pk=payment.pk)
    assert (failed.status, failed.reason, failed.is_final) == (S.FAILED, "too_many_attempts", True)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expire_due_payments()
    assert Payment.objects.get(pk=payment.pk).status == S.FAILED
    # A kiosk payment's last try keeps its own reason for the cashier's screen.
    counter_payment = f.kiosk_payment(f.merchant(name="Counter"))
    Payment.objects.filter(pk=counter_payment.pk).update(status=S.MATCHING, match_attempts=1)
    past_the_budget(counter_payment, settings)
    assert fail_stuck_matching() == 1
    assert Payment.objects.get(pk=counter_payment.pk).reason == "recognition_timeout"


def test_a_burst_is_stashed_outside_the_tries_transaction_and_a_refused_one_not_kept(
    casey, queue, monkeypatch
):
    stashed = []

    def spy(frames):
        key = real_stash(frames)
        # Megabytes to the cache must not happen while the try holds the payment's lock.
        stashed.append((key, connection.in_atomic_block))
        return key

    real_stash = smilepay_frames.stash_frames
    monkeypatch.setattr(smilepay_frames, "stash_frames", spy)
    payment = online_request(f.merchant(), casey)
    start_try(payment, casey)  # held on the queue: the try is still running
    with pytest.raises(online.CheckoutError) as refused:
        start_try(payment, casey)
    assert refused.value.code == "busy"
    assert [inside for _, inside in stashed] == [False, False]
    assert cache.get(stashed[0][0]) is not None  # the running try's burst waits for its task
    assert cache.get(stashed[1][0]) is None  # the refused one left the cache at once


def test_with_the_broker_unreachable_the_phone_is_told_at_once_and_may_try_again(
    casey, client, engine, monkeypatch, settings, stashed_frame_keys
):
    from kombu.exceptions import OperationalError

    def unreachable(**_):  # stand-in for a refused connection (tests/adversarial: a real one)
        raise OperationalError("[Errno 111] Connection refused")

    # Were the phone still left to wait, it would hear recognition_timeout after this.
    settings.PAYMENT_MATCHING_TIMEOUT_SECONDS = 3
    payment = online_request(f.merchant(), casey)
    with monkeypatch.context() as broker_down:
        broker_down.setattr(verify_online_face, "delay", unreachable)
        answer = post_face_burst(client, payment.pk, jpeg_frames())
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["status"], body["reason"], body["attempts_left"]) == (
        "failed",
        "recognition_unavailable",
        4,
    )
    assert body["message"] == "Face checks are not available right now. Try again in a moment."
    assert cache.get(stashed_frame_keys[0]) is None  # the burst left the cache with its try
    again = post_face_burst(client, payment.pk, jpeg_frames())  # the broker is back
    assert (again.json()["status"], again.json()["attempts_left"]) == ("succeeded", 3)


def test_a_face_check_that_crashes_fails_its_try_at_once(casey, client, monkeypatch, settings):
    """Eager tasks (the embedded default) run the check in the request's on-commit."""

    def crash(**_):
        raise RuntimeError("engine fault")

    settings.PAYMENT_MATCHING_TIMEOUT_SECONDS = 3
    monkeypatch.setattr(online, "verify_burst", crash)
    payment = online_request(f.merchant(), casey)
    body = post_face_burst(client, payment.pk, jpeg_frames()).json()
    assert (body["status"], body["reason"]) == ("failed", "recognition_unavailable")
    attempts = RecognitionAttempt.objects.filter(payment=payment)
    assert [(a.outcome, a.kiosk_id) for a in attempts] == [("error", None)]


def test_a_check_that_crashes_after_deciding_keeps_its_decision_and_logs_no_error(
    casey, client, engine, monkeypatch
):
    decide = online.face_check_finish

    def decide_then_crash(**kwargs):
        decide(**kwargs)
        raise RuntimeError("fault after the decision")

    monkeypatch.setattr(online, "face_check_finish", decide_then_crash)
    payment = online_request(f.merchant(), casey)
    body = post_face_burst(client, payment.pk, jpeg_frames()).json()
    assert body["status"] == "succeeded"
    outcomes = RecognitionAttempt.objects.filter(payment=payment).values_list("outcome", flat=True)
    assert list(outcomes) == ["matched"]


def test_a_last_try_that_crashes_after_failing_logs_its_outcome_and_no_error(
    casey, client, monkeypatch, settings
):
    """The crashed run already failed the request for good (too_many_attempts): the
    try is in the log once, with the engine's outcome."""
    decide = online.face_check_finish

    def refuse_then_crash(*, ticket, check):
        decide(ticket=ticket, check=RecognitionResult(Outcome.NO_MATCH, best_distance=0.7))
        raise RuntimeError("fault after the decision")

    monkeypatch.setattr(online, "verify_burst", lambda **_: None)
    monkeypatch.setattr(online, "face_check_finish", refuse_then_crash)
    payment = online_request(f.merchant(), casey)
    Payment.objects.filter(pk=payment.pk).update(
        match_attempts=settings.PAYMENT_MAX_MATCH_ATTEMPTS - 1
    )
    body = post_face_burst(client, payment.pk, jpeg_frames()).json()
    assert (body["status"], body["reason"]) == ("failed", "too_many_attempts")
    outcomes = RecognitionAttempt.objects.filter(payment=payment).values_list("outcome", flat=True)
    assert list(outcomes) == ["no_match"]
