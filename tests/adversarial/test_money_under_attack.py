"""Money under concurrency and faults, attacked over HTTP on the production-like stack.

Every answer must be a clear 2xx/4xx (never a 5xx), and after every scenario the
money invariants hold (conftest's autouse check).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import websockets
from django.conf import settings

from tests.adversarial.conftest import Browser
from tests.payments.test_webhooks import Receiver
from tests.services import free_port, wait_until

CONCURRENT = 50


def status_codes(answers) -> Counter:
    return Counter(getattr(a, "status_code", repr(a)) for a in answers)


def statuses(stack, payment_ids: list[int]) -> dict[int, tuple[str, str]]:
    rows = stack.sql(
        "select id, status, reason from payments_payment where id = any(%s)", (payment_ids,)
    )
    return {pk: (status, reason) for pk, status, reason in rows}


def online_requests(stack, api, customer: dict, *, count: int, amount_minor: int) -> list[int]:
    """`count` online payment requests to the customer, created all at once."""
    answers = stack.concurrently(
        count,
        lambda i: api.post(
            "payments", {"amount_minor": amount_minor, "customer_email": customer["email"]}
        ),
    )
    assert status_codes(answers) == {201: count}
    return [a.json()["id"] for a in answers]


def confirm_with_password(portal, customer: dict, payment_id: int):
    return portal.post(
        f"/me/payments/{payment_id}/confirm/password/", {"password": customer["password"]}
    )


# --- idempotency ------------------------------------------------------------------------


def test_50_concurrent_creates_with_one_key_make_one_payment(stack):
    cafe = stack.merchant()
    clients = [stack.api(cafe) for _ in range(CONCURRENT)]
    body = {"amount_minor": 450, "kiosk_id": cafe["kiosk_id"]}
    answers = stack.concurrently(
        CONCURRENT, lambda i: clients[i].post("payments", body, key="one-order")
    )
    codes = status_codes(answers)
    assert set(codes) <= {201, 409}, codes  # 409: "still running, retry later"
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    retry = clients[0].post("payments", body, key="one-order")
    assert retry.status_code == 201 and created <= {retry.json()["id"]}
    rows = stack.sql("select count(*) from payments_payment where merchant_id = %s", (cafe["id"],))
    assert rows == [(1,)]


def test_50_concurrent_refunds_with_one_key_refund_once(stack):
    cafe, casey = stack.merchant(), stack.customer(balance_minor=5000)
    (paid,) = stack.build(
        f"world.paid_payment(merchant_id={cafe['id']}, customer_id={casey['id']}, "
        "amount_minor=1000)"
    )
    clients = [stack.api(cafe) for _ in range(CONCURRENT)]
    path = f"payments/{paid['id']}/refunds"
    answers = stack.concurrently(
        CONCURRENT, lambda i: clients[i].post(path, {"amount_minor": 300}, key="one-refund")
    )
    assert set(status_codes(answers)) <= {201, 409}
    assert len({a.json()["id"] for a in answers if a.status_code == 201}) <= 1
    assert stack.sql(
        "select refunded_minor, (select count(*) from payments_refund where payment_id = %s) "
        "from payments_payment where id = %s",
        (paid["id"], paid["id"]),
    ) == [(300, 1)]


# --- over-refund, overdraft, daily limit --------------------------------------------------


def test_50_concurrent_refunds_never_give_back_more_than_was_paid(stack):
    cafe, casey = stack.merchant(), stack.customer(balance_minor=5000)
    (paid,) = stack.build(
        f"world.paid_payment(merchant_id={cafe['id']}, customer_id={casey['id']}, "
        "amount_minor=1000)"
    )
    clients = [stack.api(cafe) for _ in range(CONCURRENT)]
    path = f"payments/{paid['id']}/refunds"
    answers = stack.concurrently(CONCURRENT, lambda i: clients[i].post(path, {"amount_minor": 100}))
    codes = status_codes(answers)
    assert codes[201] == 10 and set(codes) <= {201, 400, 409}, codes
    refused = {a.json()["error"]["code"] for a in answers if a.status_code != 201}
    assert refused <= {"amount_exceeds_refundable", "not_refundable"}
    assert stack.sql(
        "select status, refunded_minor from payments_payment where id = %s", (paid["id"],)
    ) == [("refunded", 1000)]


# One customer confirming on many phones at once is the wallet's race, not a guesser's: the
# sign-in lockout, which counts every password try in flight, is set out of its way.
NO_LOCKOUT = {"LOGIN_FAILURES_PER_ACCOUNT": "1000", "LOGIN_FAILURES_PER_IP": "1000"}


def phones_of(server, customer: dict, count: int) -> list[Browser]:
    return [Browser(server.url, {"sessionid": customer["session"]}) for _ in range(count)]


def test_50_concurrent_confirmations_never_overdraw_the_wallet(stack):
    cafe, casey = stack.merchant(), stack.customer(balance_minor=3000)
    ids = online_requests(stack, stack.api(cafe), casey, count=CONCURRENT, amount_minor=100)
    with stack.second_server(**NO_LOCKOUT) as server:
        phones = phones_of(server, casey, CONCURRENT)
        answers = stack.concurrently(
            CONCURRENT, lambda i: confirm_with_password(phones[i], casey, ids[i])
        )
    assert set(status_codes(answers)) == {302}
    outcomes = Counter(statuses(stack, ids).values())
    assert outcomes == {("succeeded", ""): 30, ("declined", "insufficient_funds"): 20}
    assert stack.sql(
        "select balance_minor, held_minor from payments_ledgeraccount where user_id = %s",
        (casey["id"],),
    ) == [(0, 0)]


def test_10_concurrent_confirmations_stay_within_the_daily_limit(stack):
    cafe = stack.merchant()
    casey = stack.customer(balance_minor=10_000, daily_limit_minor=1000)
    ids = online_requests(stack, stack.api(cafe), casey, count=10, amount_minor=500)
    with stack.second_server(**NO_LOCKOUT) as server:
        phones = phones_of(server, casey, 10)
        answers = stack.concurrently(10, lambda i: confirm_with_password(phones[i], casey, ids[i]))
    assert set(status_codes(answers)) == {302}
    outcomes = Counter(statuses(stack, ids).values())
    assert outcomes == {("succeeded", ""): 2, ("declined", "over_daily_limit"): 8}


# --- state races ------------------------------------------------------------------------------


def test_approve_decline_cancel_and_expiry_racing_on_each_payment_settle_it_once(stack):
    cafe, casey = stack.merchant(), stack.customer(balance_minor=10_000)
    api = stack.api(cafe)
    ids = online_requests(stack, api, casey, count=10, amount_minor=100)
    stack.build(f"world.expire_now(payment_ids={ids[::2]})")  # half are already overdue
    phones = [stack.portal(casey) for _ in range(len(ids) * 4)]
    merchants = [stack.api(cafe) for _ in range(len(ids) * 4)]

    def attack(i: int):
        payment_id, move = ids[i // 4], i % 4
        if move == 0:
            return confirm_with_password(phones[i], casey, payment_id)
        if move == 1:
            return phones[i].post(f"/me/payments/{payment_id}/confirm/decline/")
        if move == 2:
            return merchants[i].post(f"payments/{payment_id}/cancel")
        return stack.run_task("payments.tasks.expire_due_payments")

    answers = stack.concurrently(len(ids) * 4, attack)
    http = [a for a in answers if hasattr(a, "status_code")]
    assert all(a.status_code in (200, 302, 409) for a in http), status_codes(http)
    assert not [a for a in answers if isinstance(a, BaseException)]
    final = statuses(stack, ids)
    assert {status for status, _ in final.values()} <= {
        "succeeded",
        "declined",
        "canceled",
        "expired",
    }, final
    for payment_id in ids[::2]:
        assert final[payment_id][0] != "succeeded", "an overdue payment was captured"
    decided_twice = stack.sql(
        "select payment_id, count(*) from accounts_auditevent where payment_id = any(%s) "
        "and name in ('payment.succeeded', 'payment.declined', 'payment.canceled', "
        "'payment.expired') group by payment_id having count(*) <> 1",
        (ids,),
    )
    assert decided_twice == []


# --- faults ---------------------------------------------------------------------------------


def test_with_the_broker_unreachable_a_refund_is_answered_once_and_its_webhook_swept(stack):
    receiver = Receiver()
    try:
        cafe = stack.merchant(webhook_url=receiver.url)
        receiver.secret = cafe["webhook_secret"]
        casey = stack.customer(balance_minor=5000)
        (paid,) = stack.build(
            f"world.paid_payment(merchant_id={cafe['id']}, customer_id={casey['id']}, "
            "amount_minor=1000)"
        )
        closed = f"redis://127.0.0.1:{free_port()}/1"  # nothing listens there
        with stack.second_server(REDIS_URL=closed) as broken:
            api = stack.api(cafe, base_url=broken.url)
            path = f"payments/{paid['id']}/refunds"
            answers = [api.post(path, {"amount_minor": 250}, key="refund-k") for _ in range(3)]
            clients = [stack.api(cafe, base_url=broken.url) for _ in range(10)]
            answers += stack.concurrently(
                10, lambda i: clients[i].post(path, {"amount_minor": 250}, key="refund-k")
            )
            created = api.post("payments", {"amount_minor": 300, "kiosk_id": cafe["kiosk_id"]})
        assert [a.status_code for a in answers[:3]] == [201, 201, 201]
        assert set(status_codes(answers)) <= {201, 409}
        assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1
        assert created.status_code == 201  # the kiosk's live update failed; the write stands
        assert stack.sql(
            "select refunded_minor from payments_payment where id = %s", (paid["id"],)
        ) == [(250,)]
        # The webhook waits as a pending delivery; the sweep (beat's task) sends it.
        stack.run_task("payments.tasks.retry_due_webhooks")
        wait_until(
            lambda: any(
                r["verified"] and r["event"]["type"] == "payment.refunded"
                for r in receiver.received
            ),
            timeout=90,
            what="the swept payment.refunded webhook",
        )
    finally:
        receiver.close()


LFW = Path(settings.FACES_DIR) / "lfw-dev" / "Adrien_Brody"


def real_burst(challenge_json: dict) -> tuple[list[bytes], dict]:
    """A customer's burst following the ticket's challenge, with the capture times the
    page sends (only its shape matters here: the worker is killed before deciding)."""
    from smilepay.faces import Challenge
    from smilepay.faces.lab import bursts

    photos = [LFW / f"Adrien_Brody_{n:04d}.jpg" for n in (1, 7)]
    if not all(p.exists() for p in photos):
        pytest.skip(f"{LFW} is missing (SMILEPAY_FACES_DIR)")
    challenge = Challenge.from_json(challenge_json)
    rng = np.random.default_rng(7)
    frames, times = bursts.challenge_burst(*(p.read_bytes() for p in photos), challenge, rng=rng)
    started = time.time() * 1000 - challenge.duration_ms
    return frames, {"timestamps": json.dumps(times), "started_at": f"{started:.0f}"}


def kiosk_upload_ready(kiosk) -> tuple[int, dict]:
    """A new payment at the kiosk, and its capture upload (``requests`` keywords) ready to
    post: a fresh ticket's token and a real burst following its challenge."""
    payment = kiosk.post("/kiosk/api/payments", json_body={"amount_minor": 450})
    payment_id = payment.json()["payment"]["id"]
    ticket = kiosk.post(f"/kiosk/api/payments/{payment_id}/capture-session").json()
    frames, times = real_burst(ticket["challenge"])
    return payment_id, {
        "data": {"token": ticket["token"], "phone_digits": "", **times},
        "files": [("frame", (f"f{i}.jpg", f, "image/jpeg")) for i, f in enumerate(frames)],
    }


def test_with_the_broker_unreachable_a_kiosk_upload_fails_its_try_at_once(stack):
    """The cache still works (the frames are stashed), the broker refuses connections: the
    cashier is told in the upload's own answer, not after the stuck-matching sweep."""
    cafe = stack.merchant()
    kiosk = stack.kiosk(cafe)
    payment_id, burst = kiosk_upload_ready(kiosk)
    closed = f"redis://127.0.0.1:{free_port()}/1"  # nothing listens there
    with stack.second_server(CELERY_BROKER_URL=closed) as broken:
        upload = kiosk.http.post(f"{broken.url}/kiosk/api/capture", **burst)
    assert upload.status_code == 202, upload.text
    told = upload.json()["payment"]
    assert (told["status"], told["reason"]) == ("failed", "recognition_unavailable")
    assert statuses(stack, [payment_id])[payment_id][0] == "failed"
    logged = "select outcome from payments_recognitionattempt where payment_id = %s"
    assert stack.sql(logged, (payment_id,)) == [("error",)]  # the merchant's figures show it
    retry = kiosk.post(f"/kiosk/api/payments/{payment_id}/capture-session")
    assert retry.status_code == 201  # the customer may smile again


def test_with_redis_down_the_kiosk_hears_503_and_its_token_still_works_afterwards(stack):
    cafe = stack.merchant()
    kiosk = stack.kiosk(cafe)
    payment_id, upload = kiosk_upload_ready(kiosk)
    closed = f"redis://127.0.0.1:{free_port()}/1"  # cache, broker and channel layer
    with stack.second_server(REDIS_URL=closed) as broken:
        answers = [
            kiosk.http.post(f"{broken.url}/kiosk/api/capture", **upload),
            kiosk.http.post(f"{broken.url}/kiosk/api/payments/{payment_id}/capture-session"),
        ]
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "service_unavailable"
        assert int(answer.headers["Retry-After"]) > 0
    assert statuses(stack, [payment_id])[payment_id] == ("created", "")
    # Redis is back (the main server): the same token is still good for this burst.
    again = kiosk.http.post(f"{stack.base_url}/kiosk/api/capture", **upload)
    assert again.status_code == 202, again.text


class KioskScreen:
    """The kiosk page's websocket, listening in a thread of its own. Like the page, it
    reconnects when the socket drops and then gets the stored state first."""

    def __init__(self, stack, cafe: dict) -> None:
        self.messages: list[dict] = []
        self.drops = 0
        self.ready = threading.Event()
        self.stop = threading.Event()
        url, origin = f"{stack.ws_url}/ws/kiosk/", stack.base_url
        headers = {"Cookie": f"smilepay_kiosk={cafe['kiosk_token']}"}

        async def listen() -> None:
            while not self.stop.is_set():
                try:
                    async with websockets.connect(
                        url, origin=origin, additional_headers=headers
                    ) as ws:
                        self.ready.set()
                        await receive(ws)
                except (OSError, websockets.exceptions.ConnectionClosed):
                    self.drops += 1
                    await asyncio.sleep(1.5)

        async def receive(ws) -> None:
            while not self.stop.is_set():
                try:
                    self.messages.append(json.loads(await asyncio.wait_for(ws.recv(), 0.5)))
                except TimeoutError:
                    continue

        self.thread = threading.Thread(target=lambda: asyncio.run(listen()), daemon=True)
        self.thread.start()
        assert self.ready.wait(timeout=30), "the kiosk websocket did not open"

    def saw(self, payment_id: int, status: str, reason: str) -> bool:
        return any(
            (m.get("payment") or {}).get("id") == payment_id
            and m["payment"]["status"] == status
            and m["payment"]["reason"] == reason
            for m in self.messages
        )

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def claimed(stack, payment_id: int):
    query = "select processed_at is not null from kiosk_capturesession where payment_id = %s"
    return lambda: stack.sql(query, (payment_id,)) == [(True,)]


def test_a_worker_killed_mid_recognition_fails_the_payment_and_the_kiosk_is_told(stack):
    cafe = stack.merchant()
    kiosk = stack.kiosk(cafe)
    screen = KioskScreen(stack, cafe)
    try:
        for _ in range(3):  # the kill must land while the task works; rarely it finishes first
            payment_id, burst = kiosk_upload_ready(kiosk)
            upload = kiosk.http.post(f"{stack.base_url}/kiosk/api/capture", **burst)
            assert upload.status_code == 202, upload.text
            wait_until(
                claimed(stack, payment_id), timeout=120, what="the worker to claim the upload"
            )
            stack.kill_worker("recognition")
            stack.restart_worker("recognition")
            if statuses(stack, [payment_id])[payment_id][0] == "matching":
                break
        else:
            pytest.fail("the recognition finished before every kill: no stuck payment to sweep")
        wait_until(
            lambda: screen.saw(payment_id, "failed", "recognition_timeout"),
            timeout=120,
            what="the kiosk to hear the stuck recognition fail",
        )
        retry = kiosk.post(f"/kiosk/api/payments/{payment_id}/capture-session")
        assert retry.status_code == 201  # the customer may smile again
    finally:
        screen.close()
