"""Online checkout's face check on a real recognition worker: a live server on Redis
(Celery not eager), and a real Celery worker that consumes only the `recognition` queue.
The phone's upload is answered once that worker has decided the try; were the task
routed anywhere else, nobody would answer and the phone would hear "took too long"."""

from __future__ import annotations

import io
import json
import secrets

import pytest
import requests
from PIL import Image

from tests.e2e.conftest import start_live_server
from tests.services import celery_worker

pytestmark = pytest.mark.integration

# A customer with face pay on (stand-in templates) and an online request for them, in
# the live server's database; prints the payment id and a signed-in session cookie.
SETUP = """
from django.conf import settings
from django.test import Client
from tests.payments import factories as f
from tests.payments.online_helpers import face_pay_customer, online_request
user = face_pay_customer()
payment = online_request(f.merchant(), user)
client = Client()
client.force_login(user)
name = settings.SESSION_COOKIE_NAME
print(payment.pk, name, client.cookies[name].value)
"""


def grey_frames(count: int = 8) -> list[bytes]:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 90, 90)).save(out, "JPEG")
    return [out.getvalue()] * count


def test_a_phone_upload_is_decided_by_a_worker_on_the_recognition_queue(redis_url, tmp_path):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    with start_live_server(tmp_path / "live", redis_url=redis_url) as live:
        payment_id, cookie, session = live.shell_value(SETUP).split()
        log = tmp_path / "worker.log"
        with celery_worker(live.env, log, queues="recognition") as worker:
            phone = requests.Session()
            csrf = secrets.token_hex(16)  # 32 characters: an unmasked token
            phone.cookies.set(cookie, session)
            phone.cookies.set("csrftoken", csrf)
            phone.headers["X-CSRFToken"] = csrf
            base = f"{live.url}/me/payments/{payment_id}/confirm/face"
            started = phone.post(f"{base}/start/", timeout=30)
            assert started.status_code == 201, started.text
            frames = grey_frames()
            answer = phone.post(
                f"{base}/",
                data={
                    "token": started.json()["token"],
                    "timestamps": json.dumps([250 * i for i in range(len(frames))]),
                },
                files=[("frame", (f"f{i}.jpg", f, "image/jpeg")) for i, f in enumerate(frames)],
                timeout=120,
            )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            worker_log = log.read_text()
            assert (body["status"], body["reason"]) == ("failed", "no_face"), (
                f"{body}\nworker log:\n{worker_log[-4000:]}\nserver log:\n{live.log()[-4000:]}"
            )
            assert (
                body["message"]
                == "We couldn't see your face. Look straight at the camera, in good light."
            )
            assert body["attempts_left"] == 4
            assert "payments.tasks.verify_online_face" in worker_log
            assert worker.poll() is None, "the worker died"
        recorded = live.shell_value(
            "from payments.models import RecognitionAttempt as R; "
            f"a = R.objects.get(payment_id={payment_id}); "
            "print(a.outcome, 'liveness' in a.timings_ms)"
        )
        assert recorded.split() == ["no_face", "True"]
