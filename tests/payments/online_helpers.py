"""Builders for the online checkout tests: merchants, customers with face pay on, and
real smile bursts made from LFW photographs (neutral, then smiling)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import crypto
from accounts import services as account_services
from accounts.models import FaceProfile, FaceTemplate
from payments import services
from payments.models import Payment
from smilepay.faces.lab import bursts
from tests.payments import factories as f


def face_pay_customer(*, balance_minor: int = 5000, encodings=None):
    """A verified customer with consent and active templates (given or random unit
    vectors: enough for tests where the face engine is replaced)."""
    user = f.customer(balance_minor=balance_minor)
    FaceProfile.objects.get_or_create(user=user)
    account_services.consent_grant(user_id=user.pk, version=settings.BIOMETRIC_CONSENT_VERSION)
    if encodings is None:
        rng = np.random.default_rng(user.pk)
        encodings = [v / np.linalg.norm(v) for v in rng.normal(size=(3, 128))]
    from accounts.enrollment import _data_key_for

    with transaction.atomic():
        key = _data_key_for(user.pk)
        for encoding in encodings:
            FaceTemplate.objects.create(
                user=user,
                status=FaceTemplate.Status.ACTIVE,
                ciphertext=crypto.encrypt_template(
                    encoding=np.asarray(encoding, dtype=np.float32), data_key=key, user_id=user.pk
                ),
            )
        FaceProfile.objects.filter(user=user).update(
            face_pay_enabled=True, enrolled_at=timezone.now()
        )
    return user


def online_request(merchant, customer, *, amount_minor: int = 1299, **extra) -> Payment:
    return services.payment_create(
        merchant_id=merchant.pk,
        amount_minor=amount_minor,
        currency=merchant.currency,
        customer_id=customer.pk,
        description=extra.pop("description", "Coffee beans 1 kg"),
        return_url=extra.pop("return_url", "https://shop.example/return?order=7"),
        **extra,
    )


# --- real photographs ----------------------------------------------------------------

LFW = Path(settings.FACES_DIR) / "lfw-dev"
# Chosen by eye and checked with a smile score: a neutral and a smiling frontal photo of
# the same person each (LFW deep-funneled, 250x250); their other photos enroll them.
PEOPLE = {
    "alice": ("Joan_Laporta", 1, 2),
    "bob": ("Adrien_Brody", 5, 7),
}
# LFW photos are centred on the face; this crop leaves out bystanders at the edges.
CENTRE = (50, 40, 200, 210)


def lfw_photo(person: str, index: int) -> Path:
    return LFW / person / f"{person}_{index:04d}.jpg"


def _centre(photo: Path):
    from PIL import Image

    return Image.open(photo).convert("RGB").crop(CENTRE)


def jitter_frames(photo: Path, count: int, *, seed: int) -> list[bytes]:
    """`count` JPEG camera frames of one photo, each slightly shifted, scaled and noisy,
    like consecutive frames of a real camera (a still photo looped has none of that)."""
    return bursts.camera_frames(_centre(photo), count, rng=np.random.default_rng(seed))


def smile_burst(person: str, *, seed: int = 1, per_phase: int = 4) -> list[bytes]:
    """A genuine-looking burst: the neutral photo, then the smiling one, jittered."""
    name, neutral, smiling = PEOPLE[person]
    frames = jitter_frames(lfw_photo(name, neutral), per_phase, seed=seed)
    return frames + jitter_frames(lfw_photo(name, smiling), per_phase, seed=seed + 1)


def still_burst(person: str, *, count: int = 8) -> list[bytes]:
    """A photo held up to the camera: the very same smiling picture in every frame."""
    name, _, smiling = PEOPLE[person]
    return bursts.replayed_photo_burst(_centre(lfw_photo(name, smiling)), count)


def enrollment_photos(person: str) -> list[bytes]:
    """Every LFW photo of the person except the two the burst uses, camera-sized."""
    name, neutral, smiling = PEOPLE[person]
    paths = sorted((LFW / name).glob("*.jpg"))
    keep = [p for p in paths if p not in (lfw_photo(name, neutral), lfw_photo(name, smiling))]
    return [frame for p in keep for frame in jitter_frames(p, 1, seed=len(keep))]


def post_face_burst(client, payment_id: int, frames: list[bytes]):
    """What the confirm page does: open a capture ticket, then send the burst with its
    token and each frame's capture time. Answers the start call's response when it
    refuses (a payment no longer open, face pay off), else the burst's."""
    import io
    import json

    started = client.post(f"/me/payments/{payment_id}/confirm/face/start/")
    if started.status_code != 201:
        return started
    data = {
        "token": started.json()["token"],
        "timestamps": json.dumps([250 * i for i in range(len(frames))]),
        "frame": [f if hasattr(f, "read") else io.BytesIO(f) for f in frames],
    }
    return client.post(f"/me/payments/{payment_id}/confirm/face/", data)
