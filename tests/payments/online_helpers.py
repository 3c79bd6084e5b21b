"""Builders for the online checkout tests: merchants, customers with face pay on, and
real smile bursts made from LFW photographs (neutral, then smiling)."""

from __future__ import annotations

import io
import random
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


def _jpeg(img) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def jitter_frames(photo: Path, count: int, *, seed: int, size=(640, 480)) -> list:
    """`count` camera-sized frames of one photo, each slightly shifted, scaled and noisy,
    like consecutive frames of a real camera (a still photo looped has none of that)."""
    from PIL import Image

    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    src = Image.open(photo).convert("RGB").crop(CENTRE)
    frames = []
    for _ in range(count):
        scale = 2.4 + rnd.uniform(-0.05, 0.05)
        face = src.resize((int(src.width * scale), int(src.height * scale)))
        frame = Image.new("RGB", size, (60, 60, 60))
        x = (size[0] - face.width) // 2 + rnd.randint(-6, 6)
        y = (size[1] - face.height) // 2 + rnd.randint(-6, 6)
        frame.paste(face, (x, y))
        pixels = np.asarray(frame, dtype=np.float32) + rng.normal(0, 3.0, (size[1], size[0], 3))
        frames.append(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))
    return frames


def smile_burst(person: str, *, seed: int = 1, per_phase: int = 4) -> list[bytes]:
    """A genuine-looking burst: the neutral photo, then the smiling one, jittered."""
    name, neutral, smiling = PEOPLE[person]
    frames = jitter_frames(lfw_photo(name, neutral), per_phase, seed=seed)
    frames += jitter_frames(lfw_photo(name, smiling), per_phase, seed=seed + 1)
    return [_jpeg(frame) for frame in frames]


def still_burst(person: str, *, count: int = 8) -> list[bytes]:
    """A photo held up to the camera: the very same smiling picture in every frame."""
    from PIL import Image

    name, _, smiling = PEOPLE[person]
    src = Image.open(lfw_photo(name, smiling)).convert("RGB").crop(CENTRE)
    src = src.resize((src.width * 12 // 5, src.height * 12 // 5))
    frame = Image.new("RGB", (640, 480), (60, 60, 60))
    frame.paste(src, ((640 - src.width) // 2, (480 - src.height) // 2))
    return [_jpeg(frame)] * count


def enrollment_photos(person: str) -> list[bytes]:
    """Every LFW photo of the person except the two the burst uses, camera-sized."""
    name, neutral, smiling = PEOPLE[person]
    paths = sorted((LFW / name).glob("*.jpg"))
    keep = [p for p in paths if p not in (lfw_photo(name, neutral), lfw_photo(name, smiling))]
    return [_jpeg(frame) for p in keep for frame in jitter_frames(p, 1, seed=len(keep))]
