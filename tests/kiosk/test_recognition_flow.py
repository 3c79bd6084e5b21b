"""A payment at the counter through the kiosk's HTTP API, with the real face engine.

Celery is eager here, so the recognition task runs when the capture request commits;
tests/e2e/test_kiosk_browser.py runs the same story with a real worker and browser.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts import gallery_cache
from accounts.recognition import recognize_burst
from kiosk.devices import DEVICE_COOKIE
from kiosk.models import CaptureSession
from merchants.services import kiosk_issue_pairing_code, kiosk_pair, kiosk_revoke
from merchants.tokens import hash_token
from payments import services as payment_services
from payments.models import LedgerAccount, Payment, RecognitionAttempt
from smilepay import frames as smilepay_frames
from smilepay.faces import Challenge, false_match_risk
from smilepay.faces.lab import bursts
from smilepay.frames import take_frames
from tests.accounts.conftest import enroll, make_customer
from tests.kiosk.factories import make_kiosk

pytestmark = pytest.mark.django_db(transaction=True)
# Each scenario runs the real engine on whole bursts, seconds apiece: the main paths stay
# in `make test`, the variations are marked slow and run in `make test-all`.

LFW = Path(settings.FACES_DIR) / "lfw-dev"


def lfw(name: str, index: int) -> bytes:
    path = LFW / name / f"{name}_{index:04d}.jpg"
    if not path.exists():
        pytest.skip(f"{path} is missing (SMILEPAY_FACES_DIR)")
    return path.read_bytes()


class Burst(list):
    """A genuine burst (neutral, then smiling: the frames of this list) that ``capture``
    rebuilds to follow whatever challenge the kiosk's ticket carries."""

    def __init__(self, neutral: bytes, smiling: bytes, seed: int) -> None:
        self.photos, self.seed = (neutral, smiling), seed
        super().__init__(bursts.genuine_burst(neutral, smiling, rng=np.random.default_rng(seed)))

    def following(self, challenge: Challenge) -> tuple[list[bytes], list[int]]:
        rng = np.random.default_rng(self.seed)
        return bursts.challenge_burst(*self.photos, challenge, rng=rng)


def burst_of(name: str, neutral: int, smiling: int, seed: int = 1) -> Burst:
    return Burst(lfw(name, neutral), lfw(name, smiling), seed)


def as_the_page_sends_it(token: str, frames: list[bytes]) -> tuple[list[bytes], dict]:
    """The frames as a kiosk following its ticket's challenge sends them, with their
    capture times; the ticket is dated back by the time the challenge takes, as if the
    customer had just followed its prompts."""
    session = CaptureSession.objects.get(token_hash=hash_token(token))
    challenge = Challenge.from_json(session.challenge)
    if isinstance(frames, Burst):
        frames, times = frames.following(challenge)
    else:  # an attack burst: the planned times, as a page would send them
        planned = challenge.planned_times()
        times = [*planned, *(planned[-1] + 250 * k for k in range(1, 13))][: len(frames)]
    took = timedelta(milliseconds=challenge.duration_ms + 500)
    CaptureSession.objects.filter(pk=session.pk).update(created_at=F("created_at") - took)
    started = (timezone.now() - took).timestamp() * 1000 + 100
    return frames, {"timestamps": json.dumps(times), "started_at": f"{started:.0f}"}


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    gallery_cache.forget()


@pytest.fixture
def adrien():
    """Enrolled, consented, 100.00 in the wallet; smiles in Adrien_Brody_0007."""
    user = make_customer("adrien@example.com", "+12025550101", name="Adrien Brody", consent=True)
    enroll(user, [lfw("Adrien_Brody", i) for i in (1, 3, 6)], self_check=lfw("Adrien_Brody", 11))
    payment_services.wallet_topup(user_id=user.pk, amount_minor=10_000)
    return user


@pytest.fixture
def joan():
    """Enrolled too, and her number ends in the same four digits as Adrien's."""
    user = make_customer("joan@example.com", "+13125550101", name="Joan Laporta", consent=True)
    enroll(user, [lfw("Joan_Laporta", i) for i in (4, 5, 6)], self_check=lfw("Joan_Laporta", 8))
    payment_services.wallet_topup(user_id=user.pk, amount_minor=10_000)
    return user


@pytest.fixture
def counter(client):
    kiosk = make_kiosk(name="Counter 1", merchant_name="Corner Cafe")
    pairing = kiosk_pair(code=kiosk_issue_pairing_code(kiosk_id=kiosk.pk))
    client.cookies[DEVICE_COOKIE] = pairing.device_token
    return kiosk


def charge(client, amount_minor: int) -> dict:
    response = client.post(
        "/kiosk/api/payments", {"amount_minor": amount_minor}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()["payment"]


def capture(client, payment_id: int, frames: list[bytes], *, digits: str = "", token=None):
    if token is None:
        opened = client.post(f"/kiosk/api/payments/{payment_id}/capture-session")
        assert opened.status_code == 201, opened.content
        token = opened.json()["token"]
    frames, times = as_the_page_sends_it(token, frames)
    data = {"token": token, "phone_digits": digits, **times, "frame": uploaded(frames)}
    return client.post("/kiosk/api/capture", data), token


def uploaded(frames: list[bytes]) -> list[SimpleUploadedFile]:
    """The frames as the page's multipart form carries them."""
    return [SimpleUploadedFile(f"f{i}.jpg", frame, "image/jpeg") for i, frame in enumerate(frames)]


def test_an_enrolled_customer_smiles_confirms_on_the_phone_and_the_money_moves(
    client, counter, adrien, joan
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"kiosk.{counter.pk}", channel)

    payment = charge(client, 450)
    response, _ = capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7))
    assert response.status_code == 202, response.content

    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.customer_id) == (Payment.Status.AWAITING_CONFIRMATION, adrien.pk)
    state = client.get("/kiosk/api/payments/current").json()["payment"]
    assert state["customer"] == "A*** B."
    attempt = RecognitionAttempt.objects.get(payment_id=payment["id"])
    assert attempt.outcome == "matched" and attempt.best_distance < 0.31

    payment_services.payment_approve(payment_id=payment["id"], customer_id=adrien.pk)
    wallet = LedgerAccount.objects.get(kind="customer", user=adrien)
    assert wallet.balance_minor == 10_000 - 450

    seen = []
    while True:
        message = async_to_sync(layer.receive)(channel)
        seen.append(message["payment"]["status"])
        if message["payment"]["status"] == "succeeded":
            break
    assert seen == ["created", "matching", "awaiting_confirmation", "succeeded"]


def test_a_stranger_who_never_enrolled_is_not_recognised(client, counter, adrien):
    payment = charge(client, 300)
    capture(client, payment["id"], burst_of("Joan_Laporta", 1, 2))
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.reason, stored.customer_id) == ("failed", "no_match", None)


@pytest.mark.slow
def test_a_video_of_a_still_photo_fails_liveness_and_can_be_retried(client, counter, adrien):
    payment = charge(client, 300)
    capture(client, payment["id"], bursts.replayed_photo_burst(lfw("Adrien_Brody", 7)))
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.reason) == ("failed", "not_live")
    assert RecognitionAttempt.objects.get(payment=stored).outcome == "not_live"

    capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7, seed=2))
    assert Payment.objects.get(pk=payment["id"]).status == "awaiting_confirmation"


@pytest.mark.slow
def test_two_customers_with_the_same_last_four_digits_are_told_apart_by_face(
    client, counter, adrien, joan
):
    payment = charge(client, 300)
    capture(client, payment["id"], burst_of("Joan_Laporta", 1, 2), digits="0101")
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.customer_id) == ("awaiting_confirmation", joan.pk)


@pytest.mark.slow
def test_phone_digits_narrow_the_search_to_those_customers_only(client, counter, adrien, joan):
    payment = charge(client, 300)
    capture(client, payment["id"], burst_of("Joan_Laporta", 1, 2), digits="9999")
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.reason) == ("failed", "no_match")


@pytest.mark.slow
def test_a_customer_who_paused_face_pay_is_not_charged_and_nobody_else_is(
    client, counter, adrien, joan
):
    from accounts.services import face_pay_pause

    face_pay_pause(user_id=adrien.pk, reason="on holiday")
    payment = charge(client, 300)
    capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7))
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.reason, stored.customer_id) == ("failed", "no_match", None)
    assert RecognitionAttempt.objects.get(payment=stored).outcome == "unavailable"


@pytest.mark.slow
def test_an_unanswered_confirmation_expires_and_releases_the_hold(client, counter, adrien):
    payment = charge(client, 700)
    capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7))
    Payment.objects.filter(pk=payment["id"]).update(expires_at=timezone.now())
    payment_services.payment_expire(payment_id=payment["id"])
    state = client.get("/kiosk/api/payments/current").json()["payment"]
    assert state["status"] == "expired"
    assert LedgerAccount.objects.get(kind="customer", user=adrien).held_minor == 0


def test_a_capture_token_works_once(client, counter, adrien):
    payment = charge(client, 300)
    frames = bursts.replayed_photo_burst(lfw("Adrien_Brody", 7))
    first, token = capture(client, payment["id"], frames)
    assert first.status_code == 202
    replay, _ = capture(client, payment["id"], frames, token=token)
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "token_used"


def test_a_burst_is_stashed_outside_the_uploads_transaction_and_a_refused_one_not_kept(
    client, counter, adrien, monkeypatch
):
    stashed = []

    def spy(frames):
        key = real_stash(frames)
        # Megabytes to the cache must not happen while the upload holds its row locks.
        stashed.append((key, connection.in_atomic_block))
        return key

    real_stash = smilepay_frames.stash_frames
    monkeypatch.setattr(smilepay_frames, "stash_frames", spy)
    payment = charge(client, 300)
    frames = bursts.replayed_photo_burst(lfw("Adrien_Brody", 7))
    first, token = capture(client, payment["id"], frames)
    replay, _ = capture(client, payment["id"], frames, token=token)
    assert (first.status_code, replay.status_code) == (202, 409)
    assert [inside for _, inside in stashed] == [False, False]
    assert take_frames(stashed[1][0]) is None  # the refused burst left the cache at once


@pytest.mark.slow
def test_a_double_tap_on_smile_leaves_only_the_newest_token_usable(client, counter, adrien):
    payment = charge(client, 300)
    first = client.post(f"/kiosk/api/payments/{payment['id']}/capture-session").json()["token"]
    client.post(f"/kiosk/api/payments/{payment['id']}/capture-session")
    stale, _ = capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7), token=first)
    assert stale.status_code == 409


@pytest.mark.slow
def test_a_burst_that_is_not_images_is_refused_and_nothing_is_spent(client, counter, adrien):
    payment = charge(client, 300)
    response, _ = capture(client, payment["id"], [b"GIF89a fake"] * 8)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_an_image"
    assert Payment.objects.get(pk=payment["id"]).status == "created"


def test_a_revoked_kiosk_is_locked_out_and_its_open_payment_canceled(
    client, counter, adrien, django_capture_on_commit_callbacks
):
    payment = charge(client, 300)
    with django_capture_on_commit_callbacks(execute=True):
        kiosk_revoke(kiosk_id=counter.pk, merchant_id=counter.merchant_id)
    response = client.post(f"/kiosk/api/payments/{payment['id']}/capture-session")
    assert response.status_code == 401
    assert Payment.objects.get(pk=payment["id"]).status == "canceled"


@pytest.mark.slow
def test_a_kiosk_cannot_touch_another_kiosks_payment(client, counter, adrien):
    other = make_kiosk(name="Counter 2", merchant_name="Other Shop")
    foreign = payment_services.payment_create(
        merchant_id=other.merchant_id, amount_minor=100, currency="USD", kiosk_id=other.pk
    )
    response = client.post(f"/kiosk/api/payments/{foreign.pk}/capture-session")
    assert response.status_code == 404


def test_a_kiosk_cancels_its_own_payment_and_not_another_kiosks(client, counter):
    other = make_kiosk(name="Counter 2", merchant_name="Other Shop")
    foreign = payment_services.payment_create(
        merchant_id=other.merchant_id, amount_minor=100, currency="USD", kiosk_id=other.pk
    )
    assert client.post(f"/kiosk/api/payments/{foreign.pk}/cancel").status_code == 404
    assert Payment.objects.get(pk=foreign.pk).status == "created"
    own = charge(client, 300)
    response = client.post(f"/kiosk/api/payments/{own['id']}/cancel")
    assert response.json()["payment"]["status"] == "canceled"


def test_a_kiosk_that_tries_too_often_is_told_to_wait(client, counter, settings):
    settings.KIOSK_ATTEMPTS_PER_MINUTE = 2
    payment = charge(client, 300)
    url = f"/kiosk/api/payments/{payment['id']}/capture-session"
    assert [client.post(url).status_code for _ in range(2)] == [201, 201]
    refused = client.post(url)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused["Retry-After"] == "60"
    assert refused.json()["error"]["message"] == "Too many attempts. Try again in 1 minute."


def test_a_french_kiosk_is_told_to_wait_in_french(client, counter, settings):
    settings.KIOSK_ATTEMPTS_PER_MINUTE = 1
    payment = charge(client, 300)
    url = f"/kiosk/api/payments/{payment['id']}/capture-session"
    client.post(url, HTTP_ACCEPT_LANGUAGE="fr")
    refused = client.post(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.json()["error"]["message"] == "Trop de tentatives. Réessayez dans 1\u00a0minute."


@pytest.mark.slow
def test_the_same_phone_digits_cannot_be_tried_without_end(client, counter, adrien, settings):
    settings.KIOSK_ATTEMPTS_PER_PHONE_DIGITS = 1
    frames = bursts.replayed_photo_burst(lfw("Adrien_Brody", 7))
    first = charge(client, 300)
    assert capture(client, first["id"], frames, digits="0101")[0].status_code == 202
    second = charge(client, 300)
    refused, _ = capture(client, second["id"], frames, digits="0101")
    assert refused.status_code == 429
    assert Payment.objects.get(pk=second["id"]).status == "created"


def test_uploaded_frames_are_never_spooled_to_disk(client, counter, settings, monkeypatch):
    from django.core.files import uploadhandler

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
    spooled = []

    def refuse_temporary_file(*args, **kwargs):
        spooled.append(args)
        raise AssertionError("an upload was about to be written to a temporary file")

    monkeypatch.setattr(uploadhandler, "TemporaryUploadedFile", refuse_temporary_file)
    payment = charge(client, 300)
    big = [b"\xff\xd8\xff" + bytes(300_000)] * 8  # 2.4 MB: over the in-memory cap
    response, _ = capture(client, payment["id"], big)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_few_frames"
    assert spooled == []


@pytest.mark.slow
def test_a_kiosk_that_requires_phone_digits_asks_for_them(client, counter, adrien):
    counter.require_phone_digits = True
    counter.save(update_fields=["require_phone_digits"])
    payment = charge(client, 300)
    opened = client.post(f"/kiosk/api/payments/{payment['id']}/capture-session").json()
    assert (opened["require_phone_digits"], opened["phone_digits_reason"]) == (True, "shop")
    refused, _ = capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7))
    assert refused.json()["error"]["code"] == "digits_required"
    assert refused.json()["error"]["message"].startswith("This shop asks")
    capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7), digits="0101")
    assert Payment.objects.get(pk=payment["id"]).status == "awaiting_confirmation"


def set_preferences(customer, *, always_digits: bool = False, auto_approve_below: int = 0):
    """The customer's own face-pay settings, as the portal's settings page saves them."""
    from accounts.services import SettingsChange, customer_settings_update

    customer_settings_update(
        user_id=customer.pk,
        change=SettingsChange(
            always_require_phone_digits=always_digits,
            per_payment_limit_minor=None,
            daily_limit_minor=None,
            auto_approve_below_minor=auto_approve_below,
        ),
    )


@pytest.mark.slow
def test_a_customer_who_always_wants_digits_is_asked_for_them_before_one_smile(
    client, counter, adrien
):
    set_preferences(adrien, always_digits=True)
    payment = charge(client, 300)
    opened = client.post(f"/kiosk/api/payments/{payment['id']}/capture-session").json()
    assert (opened["require_phone_digits"], opened["phone_digits_reason"]) == (
        True,
        "customer_setting",
    )
    frames = burst_of("Adrien_Brody", 5, 7)
    refused, token = capture(client, payment["id"], frames, token=opened["token"])
    assert refused.json()["error"]["code"] == "digits_required"
    accepted, _ = capture(client, payment["id"], frames, digits="0101", token=token)
    assert accepted.status_code == 202, accepted.content
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.match_attempts) == ("awaiting_confirmation", 1)


def test_the_kiosk_does_not_ask_for_digits_when_no_rule_could_require_them(client, counter, adrien):
    payment = charge(client, 300)
    opened = client.post(f"/kiosk/api/payments/{payment['id']}/capture-session").json()
    assert (opened["require_phone_digits"], opened["phone_digits_reason"]) == (False, "")


@pytest.mark.slow
def test_a_paused_customer_who_wants_digits_makes_no_kiosk_ask(client, counter, adrien):
    from accounts.services import face_pay_pause

    set_preferences(adrien, always_digits=True)
    face_pay_pause(user_id=adrien.pk, reason="holiday")
    payment = charge(client, 300)
    opened = client.post(f"/kiosk/api/payments/{payment['id']}/capture-session").json()
    assert opened["require_phone_digits"] is False


@pytest.mark.slow
def test_once_enrolment_outgrows_an_open_search_the_kiosk_asks_for_digits_first(
    client, counter, adrien, joan, settings
):
    # A budget that one customer fits and two do not, as 65 would with the default.
    settings.KIOSK_OPEN_SEARCH_MAX_RISK = false_match_risk(identities=1)
    payment = charge(client, 300)
    opened = client.post(f"/kiosk/api/payments/{payment['id']}/capture-session").json()
    assert (opened["require_phone_digits"], opened["phone_digits_reason"]) == (
        True,
        "many_customers",
    )

    frames = burst_of("Adrien_Brody", 5, 7)
    refused, token = capture(client, payment["id"], frames, token=opened["token"])
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "digits_required"
    assert Payment.objects.get(pk=payment["id"]).status == "created"

    # Nothing was spent: the same token carries the burst once the digits come with it.
    accepted, _ = capture(client, payment["id"], frames, digits="0101", token=token)
    assert accepted.status_code == 202, accepted.content
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.customer_id) == ("awaiting_confirmation", adrien.pk)
    assert RecognitionAttempt.objects.get(payment_id=payment["id"]).searched_identities == 2

    from accounts.models import User

    operator = User.objects.create_superuser("operator@example.com", "operator-pw-123")
    client.force_login(operator)
    listing = client.get("/admin/payments/recognitionattempt/")
    assert listing.status_code == 200 and "searched identities" in listing.content.decode().lower()


@pytest.mark.slow
def test_a_search_grown_too_wide_since_the_ticket_is_not_run_without_digits(adrien, joan, settings):
    settings.KIOSK_OPEN_SEARCH_MAX_RISK = false_match_risk(identities=1)
    result = recognize_burst(frames=burst_of("Adrien_Brody", 5, 7))
    assert (result.outcome, result.detail) == ("ambiguous", "phone_digits_required")
    assert (result.customer_id, result.best_distance, result.searched) == (None, None, 2)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("searched_within_budget", "status"),
    [(2, "succeeded"), (1, "awaiting_confirmation")],
)
def test_auto_approve_pays_without_the_phone_only_after_a_narrow_enough_search(
    client, counter, adrien, joan, settings, searched_within_budget, status
):
    set_preferences(adrien, auto_approve_below=500)
    settings.KIOSK_AUTO_APPROVE_MAX_RISK = false_match_risk(identities=searched_within_budget)
    payment = charge(client, 300)
    capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7))
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.customer_id) == (status, adrien.pk)


def test_the_capture_ticket_carries_a_challenge_of_the_servers_choosing(client, counter):
    payment = charge(client, 300)
    url = f"/kiosk/api/payments/{payment['id']}/capture-session"
    tickets = [client.post(url).json()["challenge"] for _ in range(12)]
    assert {t["pattern"] for t in tickets} <= {"neutral-smile", "smile-neutral-smile"}
    assert len({json.dumps(t, sort_keys=True) for t in tickets}) > 1, "prompts at random times"
    stored = CaptureSession.objects.filter(payment_id=payment["id"]).latest("pk")
    assert stored.challenge == tickets[-1], "bound to the token it was issued with"


@pytest.mark.slow
def test_a_smile_relax_smile_ticket_is_followed_and_pays(client, counter, adrien, settings):
    settings.FACE_CHALLENGES = ["smile-neutral-smile"]
    payment = charge(client, 300)
    capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7))
    assert Payment.objects.get(pk=payment["id"]).status == "awaiting_confirmation"


@pytest.mark.slow
def test_a_burst_that_does_not_follow_its_tickets_challenge_is_not_live(
    client, counter, adrien, settings
):
    settings.FACE_CHALLENGES = ["smile-neutral-smile"]
    payment = charge(client, 300)
    # The usual neutral-then-smile burst (a recording of it) against a smile-relax-smile ticket.
    capture(client, payment["id"], list(burst_of("Adrien_Brody", 5, 7)))
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.reason) == ("failed", "not_live")
    attempt = RecognitionAttempt.objects.get(payment=stored)
    assert (attempt.outcome, attempt.customer_id) == ("not_live", adrien.pk)


@pytest.mark.slow
def test_capture_times_must_come_with_the_burst_and_nothing_is_spent_without_them(
    client, counter, adrien
):
    payment = charge(client, 300)
    token = client.post(f"/kiosk/api/payments/{payment['id']}/capture-session").json()["token"]
    frames = uploaded(burst_of("Adrien_Brody", 5, 7))
    refused = client.post(
        "/kiosk/api/capture", {"token": token, "timestamps": "[1, 2]", "frame": frames}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "bad_times"
    assert refused.json()["error"]["message"].endswith("Reload the page and try again.")
    assert CaptureSession.objects.get(token_hash=hash_token(token)).used_at is None


@pytest.mark.slow
def test_a_look_alike_smiling_after_the_customers_neutral_photo_is_refused_and_named(
    client, counter, adrien, settings, monkeypatch
):
    # The person swap: Adrien's neutral face matches him; the smile is another man's.
    # The smile challenge's same-person limit is widened here on purpose, so that only
    # the look-alike check stands between this swap and a payment.
    import sys

    settings.FACE_CHALLENGES = ["neutral-smile"]
    monkeypatch.setattr(sys.modules["smilepay.faces.liveness"], "same_person_limit", lambda: 2.0)
    payment = charge(client, 300)
    capture(client, payment["id"], Burst(lfw("Adrien_Brody", 5), lfw("Joan_Laporta", 2), seed=4))
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.reason) == ("failed", "not_live")
    attempt = RecognitionAttempt.objects.get(payment=stored)
    assert (attempt.outcome, attempt.customer_id) == ("not_live", adrien.pk)


class UnreachableBroker:
    """Stand-in for a broker that refuses connections (named so): what ``delay`` raises
    once kombu's publish retries give up. tests/adversarial runs a real closed port."""

    def __init__(self) -> None:
        self.tries = 0

    def __call__(self, *args, **kwargs):
        from kombu.exceptions import OperationalError

        self.tries += 1
        raise OperationalError("[Errno 111] Connection refused")


def test_with_the_broker_unreachable_the_kiosk_is_told_at_once_and_the_customer_may_retry(
    client, counter, adrien, monkeypatch, stashed_frame_keys
):
    from kiosk.tasks import recognize

    broker = UnreachableBroker()
    monkeypatch.setattr(recognize, "delay", broker)
    payment = charge(client, 300)
    answer, _ = capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7))
    assert answer.status_code == 202, answer.content
    told = answer.json()["payment"]
    assert (told["status"], told["reason"]) == ("failed", "recognition_unavailable")
    assert broker.tries == 1
    assert take_frames(stashed_frame_keys[0]) is None  # the burst left the cache with its try
    # The merchant's recognition figures show the outage.
    (attempt,) = RecognitionAttempt.objects.filter(payment_id=payment["id"])
    assert (attempt.outcome, attempt.kiosk_id) == ("error", counter.pk)
    monkeypatch.undo()  # the broker is back
    capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7))
    assert Payment.objects.get(pk=payment["id"]).status == "awaiting_confirmation"


def test_a_recognition_that_crashes_fails_its_try_at_once_without_the_burst(
    client, counter, adrien, monkeypatch, stashed_frame_keys
):
    """With eager tasks (the embedded default) the recognition runs inside the upload's
    on-commit: a crash there must not leave the kiosk waiting for the sweep."""
    import kiosk.tasks

    def crash(**_):
        raise RuntimeError("engine fault")

    monkeypatch.setattr(kiosk.tasks, "recognize_burst", crash)
    payment = charge(client, 300)
    answer, _ = capture(client, payment["id"], burst_of("Adrien_Brody", 5, 7))
    assert answer.status_code == 202, answer.content
    assert answer.json()["payment"]["reason"] == "recognition_unavailable"
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.reason) == ("failed", "recognition_unavailable")
    assert take_frames(stashed_frame_keys[0]) is None
    outcomes = list(RecognitionAttempt.objects.filter(payment=stored).values_list("outcome"))
    assert outcomes == [("error",)]
